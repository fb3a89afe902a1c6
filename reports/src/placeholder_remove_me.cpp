// Temporary: lets the reports target configure before its first source lands. Removed with the first renderer.
