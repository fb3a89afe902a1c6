#!/usr/bin/env python3
"""Runs the nightly CI files as written, on this machine: the shell steps of .github/workflows/nightly.yml and the
containers' scripts of deploy/kubernetes/*-job.yaml, extracted from those files, on a simulated layout.

GitHub Actions: every (allocator, shard) job of the soak matrix runs its `run:` steps in a workspace of its own;
actions/upload-artifact and actions/download-artifact are played with their v4 rules (an artifact per name,
downloaded by `pattern` into PATH/NAME/); checkout, dependency install and build steps are skipped (the workspace
links the tree and the build under test). The report job then runs per allocator. Kubernetes: each index of the
Indexed Job runs the pod's script with JOB_COMPLETION_INDEX, the exit code is mapped through the Job's
podFailurePolicy, then the report Job's script runs. The seeds are the files' own unless --seeds says
otherwise.

--leak ISSUE switches that leak on in one shard (the workflow's `leak` input, the ConfigMap's `leak` key) and the
checks expect exit 1 with the right failed budgets (check_failed); without it everything must pass (exit 0).
Exit status: 0 when every check held, 1 when one did not (each printed as "FAIL: ...").
"""
import argparse
import fnmatch
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

# Steps that prepare a fresh runner; the simulation's workspace already has the tree and the build.
SETUP_STEPS = {"install git", "install the build dependencies", "build"}

failures = []


def check(condition, message):
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def evaluate(text, context):
    """Substitutes ${{ matrix.X }}, ${{ inputs.X }} and ${{ env.X }}; any other expression is refused."""
    def one(match):
        expression = match.group(1).strip()
        scope, _, name = expression.partition(".")
        if scope not in ("matrix", "inputs", "env") or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise SystemExit(f"simulate: unsupported expression ${{{{ {expression} }}}}")
        return str(context.get(scope, {}).get(name, ""))
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


def make_workspace(path, source, build):
    path.mkdir(parents=True)
    for item in ("scenarios", "reports", "scripts"):
        (path / item).symlink_to(source / item)
    (path / "build").symlink_to(build)


def run_job(name, job, context, workspace, artifacts, workflow_env):
    """Runs one job's steps; returns (success, {step name: exit code}, job summary text, {step name: output})."""
    summary_text = ""
    codes = {}
    outputs = {}
    ok = True
    for index, step in enumerate(job["steps"]):
        label = step.get("name") or step.get("uses") or f"step {index + 1}"
        condition = str(step.get("if", "")).strip()
        if condition not in ("", "always()"):
            raise SystemExit(f"simulate: {name}: step '{label}': unsupported condition '{condition}'")
        if not ok and condition != "always()":
            print(f"  [{name}] skip '{label}' (an earlier step failed)")
            continue
        if "uses" in step:
            action = step["uses"].split("@")[0]
            # One simulated night: the history store starts empty and is not kept for a next one.
            if action in ("actions/cache/restore", "actions/cache/save"):
                continue
            inputs = {k: evaluate(v, context) for k, v in (step.get("with") or {}).items()}
            if action == "actions/checkout" or action == "mikepenz/action-junit-report":
                continue
            if action == "actions/upload-artifact":
                source = workspace / inputs["path"]
                if not source.exists():
                    ok = ok and inputs.get("if-no-files-found") != "error"
                    continue
                target = artifacts / inputs["name"]
                check(not target.exists(), f"artifact name {inputs['name']} is used once")
                shutil.copytree(source, target)
                continue
            if action == "actions/download-artifact":
                pattern = inputs["pattern"]
                for artifact in sorted(artifacts.iterdir()):
                    if fnmatch.fnmatchcase(artifact.name, pattern):
                        shutil.copytree(artifact, workspace / inputs["path"] / artifact.name)
                continue
            raise SystemExit(f"simulate: {name}: no simulation of action {step['uses']}")
        if label in SETUP_STEPS:
            continue
        script = step["run"]
        check("${{" not in script, f"{name}: step '{label}' uses no ${{{{ }}}} expression in its script")
        summary = workspace / f".summary-{index}"
        output = workspace / f".output-{index}"
        summary.touch()
        output.touch()
        env = dict(os.environ)
        env.update({k: evaluate(v, context) for k, v in workflow_env.items()})
        env.update({k: evaluate(v, context) for k, v in (job.get("env") or {}).items()})
        env.update({k: evaluate(v, context) for k, v in (step.get("env") or {}).items()})
        env.update({"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
                    "GITHUB_OUTPUT": str(output), "GITHUB_SHA": "5e1f0c0ffee0000000000000000000000000beef"})
        # defaults.run.shell: bash is `bash --noprofile --norc -eo pipefail {0}` on GitHub's runners.
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        codes[label] = result.returncode
        outputs[label] = result.stdout
        summary_text += summary.read_text()
        print(f"  [{name}] '{label}': exit {result.returncode}")
        for line in result.stdout.splitlines()[-40:]:
            print(f"    | {line}")
        if result.returncode != 0:
            ok = False
    return ok, codes, summary_text, outputs


def failed_budgets(merged):
    """{run name: [failed budget, ...]} from a merged folder's reports."""
    suite = json.loads((merged / "suite-report.json").read_text())
    found = {}
    for run in suite["runs"]:
        report = merged / run["report"]
        data = json.loads(report.read_text())
        failed = sorted(b["issue"] for b in data["budgets"] if b["verdict"] == "fail")
        if failed:
            found[run["name"]] = failed
    return found


def leaky_shard_runs(source, suite_file, seeds, shard, shard_count):
    """{run name: its scenario's budgets} for the runs of the leaky shard, in plan order."""
    suite = json.loads((source / suite_file).read_text())
    plan = []  # (run name, its scenario's budgets) in plan order: scenario by scenario, each over the seeds
    for scenario in suite["scenarios"]:
        data = json.loads((source / suite_file).parent.joinpath(scenario).read_text())
        for seed in seeds:
            plan.append((f"{Path(scenario).stem}-seed{seed}", data.get("budgets", [])))
    return {name: budgets for k, (name, budgets) in enumerate(plan) if k % shard_count == shard - 1}


def check_failed(where, merged, shard_runs, leak):
    """The right failed budgets: every run of the leaky shard that judges the leak's budget fails it; a run of
    that shard may also fail the whole-process budget (which catches leaks nobody named, docs/diagnosis.md) and
    nothing else; no run of another shard fails anything."""
    found = failed_budgets(merged)
    judging = sorted(run for run, budgets in shard_runs.items() if leak in budgets)
    check(set(judging) <= set(found), f"{where}: every run of the leaky shard that judges {leak} fails "
          f"({judging}; runs with a failed budget: {sorted(found)})")
    for run, budgets in sorted(found.items()):
        allowed = {leak, "process"} if run in shard_runs else set()
        check(set(budgets) <= allowed, f"{where}: {run} fails {budgets}, expected within {sorted(allowed)}")
        print(f"  {where}: {run} fails {', '.join(budgets)}")
    return found


def simulate_workflow(args, source, build, work):
    workflow = yaml.safe_load((source / ".github/workflows/nightly.yml").read_text())
    workflow_env = dict(workflow.get("env") or {})
    if args.seeds:
        workflow_env["SEEDS"] = args.seeds  # a shortcut for a quicker look; by default the night's own seeds
    seeds = workflow_env["SEEDS"].split(",")
    soak, report = workflow["jobs"]["soak"], workflow["jobs"]["report"]
    matrix = soak["strategy"]["matrix"]
    check(soak["strategy"].get("fail-fast") is False, "soak: fail-fast is off (a failing shard cancels nothing)")
    check(int(workflow_env["SHARD_COUNT"]) == len(matrix["shard"]), "soak: SHARD_COUNT matches the matrix's shards")
    check(report.get("if") == "always()" and report.get("needs") == "soak", "report: needs soak, runs always")
    artifacts = work / "artifacts"
    artifacts.mkdir(parents=True)
    for allocator, shard in itertools.product(matrix["allocator"], matrix["shard"]):
        leaky = args.leak and allocator == args.leak_allocator and shard == args.leak_shard
        context = {"matrix": {"allocator": allocator, "shard": shard},
                   "inputs": {"leak": args.leak if leaky else ""}}
        name = f"soak {allocator} {shard}"
        workspace = work / f"soak-{allocator}-{shard}"
        make_workspace(workspace, source, build)
        ok, codes, _, _ = run_job(name, soak, context, workspace, artifacts, workflow_env)
        check(ok, f"{name}: the job succeeds (a budget failure is the merge's to report)")
    names = sorted(p.name for p in artifacts.iterdir())
    for allocator in matrix["allocator"]:
        pattern = evaluate(next(s for s in report["steps"] if "download-artifact" in s.get("uses", ""))
                           ["with"]["pattern"], {"matrix": {"allocator": allocator}})
        matched = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        check(len(matched) == len(matrix["shard"]),
              f"report {allocator}: pattern {pattern} matches its {len(matrix['shard'])} shards only: {matched}")
    verdicts = {}
    for allocator in report["strategy"]["matrix"]["allocator"]:
        name = f"report {allocator}"
        workspace = work / f"report-{allocator}"
        make_workspace(workspace, source, build)
        ok, codes, summary, outputs = run_job(name, report, {"matrix": {"allocator": allocator}}, workspace,
                                              artifacts, workflow_env)
        (work / f"summary-{allocator}.md").write_text(summary)
        leaky = bool(args.leak) and allocator == args.leak_allocator
        merge_code = codes.get("merge the shards")
        check(merge_code == (1 if leaky else 0), f"{name}: merge exits {1 if leaky else 0} (got {merge_code})")
        merged = workspace / "report/merged"
        check(merged.is_dir(), f"{name}: report/merged is written")
        for output in ("index.html", "junit.xml", "summary.md"):
            check((workspace / "report" / output).is_file(), f"{name}: report/{output} is written")
        shard_runs = (leaky_shard_runs(source, workflow_env["SUITE"], seeds, args.leak_shard, len(matrix["shard"]))
                      if leaky else {})
        found = check_failed(name, merged, shard_runs, args.leak) if merged.is_dir() else {}
        check(f"## Nightly soak: {allocator}" in summary, f"{name}: the job summary has the merge's section")
        suite = json.loads((source / workflow_env["SUITE"]).read_text())
        for scenario in suite["scenarios"]:
            check(Path(scenario).stem in summary, f"{name}: the job summary names {Path(scenario).stem}")
        for run, budgets in found.items():
            stem, _, seed = run.rpartition("-seed")
            shown = f"{stem} (seed {seed})"  # how the summary names a run of a seed list
            check(shown in summary and all(b in summary for b in budgets),
                  f"{name}: the job summary names {shown} and its failed budgets {budgets}")
        check(bool(found) == leaky, f"{name}: {'some' if leaky else 'no'} run fails")
        # Each failed budget is annotated on its line of the scenario file (the budget's name in "budgets").
        annotations = outputs.get("annotate the failed budgets", "")
        for run, budgets in found.items():
            stem = run.rpartition("-seed")[0]
            lines = (source / "scenarios" / f"{stem}.json").read_text().splitlines()
            for budget in budgets:
                line = next(i for i, text in enumerate(lines, 1) if f'"{budget}"' in text)
                expected = f"::error file=scenarios/{stem}.json,line={line}::budget {budget} failed ({allocator})"
                check(expected in annotations, f"{name}: annotation {expected}")
        check(bool(annotations.strip()) == leaky, f"{name}: {'an' if leaky else 'no'} annotation")
        # The first night of a history has nothing to change from: recorded, and no change point.
        check(codes.get("record the night and look for change points") == 0 and
              f"## Across nights ({allocator})" in summary and (workspace / "history" / f"{allocator}.db").is_file(),
              f"{name}: the night is recorded in the history store and checked, its summary in the job's")
        if allocator == "mimalloc":
            compare_code = codes.get("compare with the baseline")
            check("## Compared with reports/baselines" in summary, f"{name}: the job summary has the comparison")
            check(compare_code == (1 if leaky else 0),
                  f"{name}: compare with the baselines exits {1 if leaky else 0} (got {compare_code})")
        verdicts[allocator] = ok
    check(all(ok for a, ok in verdicts.items() if not (args.leak and a == args.leak_allocator)),
          "workflow: the report jobs without the leak succeed")
    if args.leak:
        check(not verdicts[args.leak_allocator], f"workflow: the report job of {args.leak_allocator} fails")


def pod_failure_action(job, exit_code):
    """Kubernetes' rule: the first podFailurePolicy rule whose onExitCodes matches decides; none: Count."""
    container = job["spec"]["template"]["spec"]["containers"][0]["name"]
    for rule in job["spec"].get("podFailurePolicy", {}).get("rules", []):
        codes = rule.get("onExitCodes")
        if not codes or codes.get("containerName", container) != container:
            continue
        matched = exit_code in codes["values"]
        if matched == (codes["operator"] == "In"):
            return rule["action"]
    return "Count"


def container_env(container, configmap, overrides):
    env = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        else:
            ref = item["valueFrom"]["configMapKeyRef"]
            check(ref["name"] == "memsoak-run", f"{item['name']} comes from the memsoak-run ConfigMap")
            if ref["key"] in configmap:
                env[item["name"]] = configmap[ref["key"]]
            else:
                check(ref.get("optional", False), f"ConfigMap key {ref['key']} is optional or given")
    env.update(overrides)
    return env


def simulate_kubernetes(args, source, build, work):
    folder = source / "deploy/kubernetes"
    soak = yaml.safe_load((folder / "soak-job.yaml").read_text())
    report = yaml.safe_load((folder / "report-job.yaml").read_text())
    pvc = yaml.safe_load((folder / "pvc.yaml").read_text())
    spec = soak["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    allocators = env["ALLOCATORS"].split()
    shard_count = int(env["SHARD_COUNT"])
    completions = len(allocators) * shard_count
    check(spec["completionMode"] == "Indexed", "soak Job: completionMode Indexed")
    check(spec["completions"] == completions and spec["parallelism"] == completions,
          f"soak Job: completions and parallelism are allocators x shards = {completions}")
    check(pod["restartPolicy"] == "Never", "soak Job: restartPolicy Never (podFailurePolicy requires it)")
    check("backoffLimitPerIndex" in spec and spec.get("maxFailedIndexes") == completions,
          "soak Job: retries are counted per index and no number of failed indexes stops the others")
    check(spec.get("backoffLimit") != 0, "soak Job: no backoffLimit 0 (the first budget failure would end the Job)")
    check(pod_failure_action(soak, 1) == "FailIndex", "soak Job: exit 1 (a budget failed) fails its index only")
    check(pod_failure_action(soak, 2) == "FailJob", "soak Job: exit 2 (bad input) fails the Job")
    check(pod_failure_action(soak, 3) == "Count", "soak Job: exit 3 (a crash) is retried within backoffLimitPerIndex")
    check(any(r.get("action") == "Ignore" and r.get("onPodConditions", [{}])[0].get("type") == "DisruptionTarget"
              for r in spec["podFailurePolicy"]["rules"]), "soak Job: an eviction is retried without counting")
    check(pod_failure_action(report, 1) == "FailJob", "report Job: a verdict (exit 1) is final, not retried")
    for job in (soak, report):
        job_pod = job["spec"]["template"]["spec"]
        mounts = {m["name"]: m["mountPath"] for m in job_pod["containers"][0]["volumeMounts"]}
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in job_pod["volumes"]}
        job_env = {e["name"]: e.get("value") for e in job_pod["containers"][0]["env"]}
        check(job_env["REPORTS_DIR"] in mounts.values(), f"{job['metadata']['name']}: REPORTS_DIR is the mount")
        check(pvc["metadata"]["name"] in claims.values(), f"{job['metadata']['name']}: mounts pvc.yaml's claim")
        check(job_pod["containers"][0]["image"] == container["image"], f"{job['metadata']['name']}: same image")
    check(set(report["spec"]["template"]["spec"]["containers"][0]["env"][2]["value"].split()) == set(allocators),
          "report Job: merges the soak Job's allocators")

    volume = work / "volume"
    volume.mkdir(parents=True)
    workspace = work / "pod"
    make_workspace(workspace, source, build)
    run_id = "2026-11-29"
    for index in range(completions):
        leaky = args.leak and index == allocators.index(args.leak_allocator) * shard_count + args.leak_shard - 1
        configmap = {"run-id": run_id, **({"leak": args.leak} if leaky else {})}
        pod_env = dict(os.environ)
        pod_env.update(container_env(container, configmap,
                                     {"REPORTS_DIR": str(volume), "JOB_COMPLETION_INDEX": str(index),
                                      **({"SEEDS": args.seeds} if args.seeds else {})}))
        result = subprocess.run(container["command"] + container["args"], cwd=workspace, env=pod_env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(f"  [soak pod {index}] exit {result.returncode}: {result.stdout.splitlines()[0]}")
        expected = 1 if leaky else 0
        check(result.returncode == expected, f"soak pod {index}: exit {expected} (got {result.returncode}); "
              f"podFailurePolicy: {pod_failure_action(soak, result.returncode) if result.returncode else 'done'}")
    rcontainer = report["spec"]["template"]["spec"]["containers"][0]
    pod_env = dict(os.environ)
    pod_env.update(container_env(rcontainer, {"run-id": run_id}, {"REPORTS_DIR": str(volume)}))
    result = subprocess.run(rcontainer["command"] + rcontainer["args"], cwd=workspace, env=pod_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in result.stdout.splitlines():
        if line.startswith("memsoak-report:"):
            print(f"  [report pod] {line}")
    expected = 1 if args.leak else 0
    check(result.returncode == expected, f"report pod: exit {expected} (got {result.returncode})")
    for allocator in allocators:
        night = volume / run_id / allocator
        for output in ("index.html", "junit.xml", "summary.md"):
            check((night / output).is_file(), f"report pod: {allocator}/{output} is written")
        leaky = bool(args.leak) and allocator == args.leak_allocator
        seeds = (args.seeds or env["SEEDS"]).split(",")
        shard_runs = leaky_shard_runs(source, env["SUITE"], seeds, args.leak_shard, shard_count) if leaky else {}
        if check((night / "merged").is_dir(), f"report pod: {allocator}/merged is written"):
            found = check_failed(f"report pod {allocator}", night / "merged", shard_runs, args.leak)
            check(bool(found) == leaky, f"report pod {allocator}: {'some' if leaky else 'no'} run fails")
    check((volume / run_id / "mimalloc/compare.md").is_file(), "report pod: mimalloc/compare.md is written")
    for allocator in allocators:
        check((volume / "history" / f"{allocator}.db").is_file() and (volume / run_id / allocator / "history.md").is_file(),
              f"report pod: the night is recorded in history/{allocator}.db and checked")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, type=Path)
    parser.add_argument("--build", required=True, type=Path)
    parser.add_argument("--work", required=True, type=Path, help="emptied, then filled with the simulation")
    parser.add_argument("--seeds", help="the --seeds of every shard instead of the files' own (1,2,3)")
    parser.add_argument("--leak", default="", help="switch this leak on in one shard, e.g. issue-1")
    parser.add_argument("--leak-allocator", default="mimalloc")
    parser.add_argument("--leak-shard", type=int, default=3)
    parser.add_argument("--only", choices=["workflow", "kubernetes"], help="run one of the two")
    args = parser.parse_args()
    source, build = args.source.resolve(), args.build.resolve()
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    if args.only in (None, "workflow"):
        print("== GitHub Actions: .github/workflows/nightly.yml", flush=True)
        simulate_workflow(args, source, build, args.work / "github")
    if args.only in (None, "kubernetes"):
        print("== Kubernetes: deploy/kubernetes", flush=True)
        simulate_kubernetes(args, source, build, args.work / "kubernetes")
    print(f"simulate: {len(failures)} failed check{'s' if len(failures) != 1 else ''}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
