# Runs CANARY MODE and fails unless the canary itself failed; its output is passed on for the test's
# PASS_REGULAR_EXPRESSION to match the checker's report.
execute_process(COMMAND ${CANARY} ${MODE} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(status EQUAL 0)
  message(FATAL_ERROR "the canary's ${MODE} defect went unnoticed: is this build instrumented?")
endif()
