// bench/phases.ts: an engine log (pulumi -v=9 --logtostderr --logflow) read
// into the breakdown's rows. The sample is a cut of a real no-change up's log
// (two resources, lines shortened), with a line that is not JSON.
import { strict as assert } from "assert";
import { events, phases, providerCalls, seconds } from "../../bench/phases";

const URN = "urn:pulumi:perf-a::nerdctl-dind::nerdctl-dind:index:NerdctlEnvironment$ndind:index";
const line = (time: string, msg: string) => JSON.stringify({ time: `2026-12-05T05:08:${time}Z`, level: "INFO", msg, v: 7 });
const LOG = [
    line("29.460000000", "langhost[nodejs].Run(pwd=/work/main,stack=perf-a,dryrun=false) executing"),
    "I1205 05:08:29 not a JSON line",
    line("29.970000000", "ResourceMonitor.RegisterResource received: t=pulumi:pulumi:Stack, name=nerdctl-dind-perf-a"),
    line("30.100000000", "Launching plugin 'ndind' from '/root/.pulumi/plugins/resource-ndind-v0.3.0'"),
    line("30.125000000", "Handshake: ndind plugin answered"),
    line("30.300000000", "ResourceMonitor.RegisterResource received: t=ndind:index:Image, name=nerdctl-dind-image-build"),
    line("30.310000000", `Provider[0x1].Check(${URN}:Image::nerdctl-dind-image-build) executing (#olds=6,#news=6)`),
    line("30.330000000", `Provider[0x1].Check(${URN}:Image::nerdctl-dind-image-build) success: inputs=#6 failures=#0`),
    line("30.340000000", `Provider[0x1].Diff(${URN}:Image::nerdctl-dind-image-build,sha256:0035): executing (#oldInputs=6)`),
    line("30.440000000", `Provider[0x1].Diff(${URN}:Image::nerdctl-dind-image-build,sha256:0035) success: changes=1`),
    line("30.500000000", "ResourceMonitor.RegisterResource received: t=ndind:index:Container, name=nerdctl-dind-wrapper-container"),
    line("30.510000000", `Provider[0x1].Check(${URN}:Container::nerdctl-dind-wrapper-container) executing (#olds=13)`),
    line("30.560000000", `Provider[0x1].Check(${URN}:Container::nerdctl-dind-wrapper-container) success: inputs=#13`),
    line("30.800000000", "langhost[nodejs].Run(pwd=/work/main,stack=perf-a,dryrun=false) success"),
].join("\n");

describe("bench/phases.ts: the breakdown from an engine log", () => {
    // A double near 1.8e9 s holds about a quarter of a microsecond.
    it("reads RFC 3339 times below the millisecond", () => {
        assert.equal(seconds("1970-01-01T00:00:01.5Z"), 1.5);
        const d = seconds("2026-12-05T05:08:30.000250001Z") - seconds("2026-12-05T05:08:30Z");
        assert.ok(Math.abs(d - 0.00025) < 1e-6, String(d));
    });

    it("keeps the JSON lines only", () => {
        assert.equal(events(LOG).length, 13);
    });

    it("times each provider call, all and per resource", () => {
        const { all, byResource } = providerCalls(events(LOG));
        assert.equal(all.count, 3);
        assert.ok(Math.abs(all.sum - 0.17) < 1e-6, String(all.sum));
        assert.ok(Math.abs(all.longest - 0.1) < 1e-6, String(all.longest));
        assert.deepEqual([...byResource.keys()], ["nerdctl-dind-image-build", "nerdctl-dind-wrapper-container"]);
        assert.deepEqual(byResource.get("nerdctl-dind-image-build")?.methods, ["Check", "Diff"]);
        assert.ok(Math.abs((byResource.get("nerdctl-dind-wrapper-container")?.sum ?? 0) - 0.05) < 1e-6);
    });

    it("prints the phases between the command's start and end", () => {
        const start = seconds("2026-12-05T05:08:29.000000000Z");
        const rows = new Map(phases(events(LOG), start, start + 2));
        assert.equal(rows.get("CLI start: state, plugins, git metadata (to the language host's run)"), "0.46");
        assert.equal(rows.get("node start and @pulumi/pulumi's load (to the stack resource)"), "0.51");
        assert.equal(rows.get("the program: its modules and body (to its last resource)"), "0.53");
        assert.equal(rows.get("ndind plugin start (inside the line above)"), "0.03");
        assert.equal(rows.get("provider calls (Check, Diff, ...): how many: summed / the longest"), "3: 0.17 / 0.10");
        assert.equal(rows.get("&nbsp;&nbsp;nerdctl-dind-image-build: Check, Diff"), "0.12");
        assert.equal(rows.get("the rest of the run (to the program's end)"), "0.30");
        assert.equal(rows.get("CLI end"), "0.20");
        assert.equal(rows.get("total, traced (the -v=9 log slows it)"), "2.00");
    });

    it("says so when a phase's mark is not in the log", () => {
        const rows = new Map(phases(events(line("29.0", "nothing here")), 0, 1));
        assert.equal(rows.get("node start and @pulumi/pulumi's load (to the stack resource)"), "not in the log");
    });
});
