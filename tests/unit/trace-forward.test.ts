// make trace's forwarding hop (tools/trace-forward.ts): each way the forward
// of a port can break is named, and a working one is ok.
import * as assert from "assert";
import { ForwardFacts, forwardFacts, forwardRow } from "../../tools/trace-forward";

const LOG = "/cache/forward/dev.12345678/forwarder.log";
const entry = { listen: "127.0.0.1:9000", inner: "0.0.0.0:9000", container: "web", namespace: "default" };
const up: ForwardFacts = { running: true, connected: true, transport: "direct to the wrapper's address", pid: 42, entry, log: LOG };
const answered = { status: "ok" as const, detail: "127.0.0.1:9000 answered (HTTP 200)" };
const refused = { status: "fail" as const, detail: "127.0.0.1:9000: Connection refused" };

describe("make trace: the forwarding hop", () => {
    it("finds the port's forward in ndind-forward list --json", () => {
        const f = forwardFacts({ running: true, connected: true, pid: 42, forwards: [{ ...entry, listen: "127.0.0.1:19000" }, entry] }, "9000", LOG);
        assert.deepStrictEqual(f.entry, entry);
        assert.strictEqual(forwardFacts({ running: true, forwards: null }, "9000", LOG).entry, undefined);
    });

    it("a working forward is ok, and names the forwarder and the inner container", () => {
        const r = forwardRow("dev", "9000", up, answered, answered, true);
        assert.strictEqual(r.status, "ok");
        assert.strictEqual(r.found, "forwarder (pid 42, direct to the wrapper's address) listens on 127.0.0.1:9000 -> web (default) 0.0.0.0:9000");
    });

    const cases: [string, ForwardFacts, boolean, RegExp, RegExp][] = [
        ["not running", { running: false, log: LOG }, true, /forwarder is not running/, /make up STACK=dev/],
        ["not connected", { ...up, connected: false, error: "docker inspect: No such container" }, true, /cannot reach the wrapper: docker inspect: No such container/, /forwarder\.log/],
        ["a taken port", { ...up, entry: { ...entry, error: "listen tcp 127.0.0.1:9000: bind: address already in use" } }, true,
            /cannot listen: .*address already in use/, /ss -ltnp 'sport = :9000'/],
        ["no forward while an inner container publishes it", { ...up, entry: undefined }, true, /has no forward of it/, /kill 42/],
    ];
    for (const [what, f, innerRuns, why, fix] of cases) {
        it(`FAIL: ${what}`, () => {
            const r = forwardRow("dev", "9000", f, refused, answered, innerRuns);
            assert.strictEqual(r.status, "FAIL", JSON.stringify(r));
            assert.match(r.why ?? "", why);
            assert.match(r.fix ?? "", fix);
        });
    }

    it("the wrapper answers but the forward does not: the forward is blamed; no inner container: not this hop", () => {
        assert.match(forwardRow("dev", "9000", up, refused, answered, true).why ?? "", /not through the forward/);
        assert.strictEqual(forwardRow("dev", "9000", { ...up, entry: undefined }, refused, refused, false).status, "-");
        assert.strictEqual(forwardRow("dev", "9000", up, refused, refused, true).status, "ok", "a dead inner server is not the forward's fault");
    });
});
