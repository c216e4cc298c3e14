// make trace for real (issue 17): a port published on both layers, traced
// while it works, then with one hop broken at a time: the DNAT rule deleted
// with iptables in the wrapper, rules for the port left in the backend the
// wrapper does not use, the inner server killed, the inner container
// stopped, a host port the wrapper does not publish. Each verdict must name
// the hop that was broken; each mend must bring the verdict back to ok.
import * as assert from "assert";
import { ALPINE_BASE, BUSYBOX, BUSYBOX_TAR, requirePrerequisites, run, Run, Stack, waitFor } from "./harness";

const id = process.pid.toString(36);
// This file's host ports: 18710 published, 18711 not.
const PORT = "18710";
const UNPUBLISHED = "18711";
const PAGE = "traced-by-make-trace";

function trace(s: Stack, port = PORT): Run {
    const r = run("make", ["-s", "--no-print-directory", "trace", `STACK=${s.name}`, `PORT=${port}`]);
    console.log(r.out.split("\n").filter((l) => !/^\d{4}-\d\d-\d\d .* >>> /.test(l)).map((l) => `      ${l}`).join("\n"));
    return r;
}

/** Traces and insists on a FAIL verdict naming HOP. */
function brokenAt(s: Stack, hop: string, why: RegExp): void {
    const r = trace(s);
    assert.notStrictEqual(r.code, 0, `make trace exited 0 with a broken hop:\n${r.out}`);
    const verdict = /^verdict: FAIL at hop \d+ \(([^)]*\)?)\): (.*)$/m.exec(r.out);
    assert.ok(verdict, `no FAIL verdict:\n${r.out}`);
    assert.strictEqual(verdict[1], hop, r.out);
    assert.match(verdict[2], why);
}

function works(s: Stack): void {
    const r = trace(s);
    assert.strictEqual(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`^verdict: ok: every hop of ${PORT} works$`, "m"));
}

function hostGets(): string {
    return run("curl", ["-s", "--max-time", "2", `http://127.0.0.1:${PORT}/`]).out;
}

describe("make trace (end to end)", function () {
    let s: Stack;
    let inWrapper: (script: string) => Run;

    before(async () => {
        requirePrerequisites();
        s = new Stack(`tools-e2e-${id}-trace`, { baseImage: ALPINE_BASE, preload: [BUSYBOX_TAR], ports: [`${PORT}:8080`] });
        s.up();
        inWrapper = (script) => s.exec("sh", "-c", script);
        // httpd in the background and sleep in front, so the server can die while its container runs.
        const r = s.exec("nerdctl", "run", "-d", "--name", "web", "-p", "8080:80", BUSYBOX,
            "sh", "-c", `echo ${PAGE} > /www/index.html && httpd -p 80 -h /www && exec sleep 1d`);
        assert.strictEqual(r.code, 0, r.out);
        await waitFor("the page on the host", 30, () => hostGets().includes(PAGE));
    });
    after(() => s?.remove());

    it("a working port: every hop ok, exit 0", () => {
        const r = trace(s);
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /host -> 127\.0\.0\.1:18710 answered \(HTTP 200\)/);
        assert.match(r.out, /inner container\s+ok\s+web \(namespace default\) running at 10\.4\.0\.\d+, publishes 8080 -> 80\/tcp/);
        assert.match(r.out, /httpd \(pid \d+\) listens on /);
        assert.match(r.out, /conntrack\s+-\s+[1-9]\d* entr(y|ies) for :8080: .*\(web\)/);
    });

    it("the DNAT rule deleted in the wrapper: the portmap chain; nerdctl stop + start mends it, as the fix says", () => {
        const del = inWrapper(`iptables -t nat -S | grep -- '-j DNAT' | grep -- '--dport 8080 ' | sed 's/^-A/-D/' |
            while read -r rule; do eval "iptables -t nat $rule"; done; iptables -t nat -S | grep -c -- '--dport 8080 .*-j DNAT' || :`);
        assert.strictEqual(del.out.trim(), "0", del.out);
        brokenAt(s, "portmap chain", /no DNAT rule for :8080, though web publishes it/);
        assert.strictEqual(inWrapper("nerdctl stop web >/dev/null && nerdctl start web >/dev/null").code, 0);
        works(s);
    });

    it("rules for the port in the backend the wrapper does not use: that backend, though traffic flows", () => {
        const backend = inWrapper("cat /run/nerdctl-dind/iptables-backend").out.trim();
        const other = backend === "legacy" ? "nft" : "legacy";
        const x = `/usr/local/sbin/xtables-${other}-multi iptables -t nat`;
        assert.strictEqual(inWrapper(`${x} -N CNI-DN-e2eleft && ${x} -A CNI-DN-e2eleft -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.4.0.250:80`).code, 0);
        try {
            assert.ok(hostGets().includes(PAGE), "the page stopped answering: the case is not the one meant");
            brokenAt(s, `other backend (${other})`, new RegExp(`uses ${backend}, but the ${other} backend has rules for :8080`));
        } finally {
            inWrapper(`${x} -F CNI-DN-e2eleft && ${x} -X CNI-DN-e2eleft`);
        }
        works(s);
    });

    it("the inner server killed, its container running: the inner listener, not the NAT hops", async () => {
        assert.strictEqual(s.exec("nerdctl", "exec", "web", "sh", "-c", "kill $(pidof httpd)").code, 0);
        await waitFor("the page gone", 10, () => !hostGets().includes(PAGE));
        brokenAt(s, "inner listener", /nothing in web listens on 80\/tcp/);
    });

    it("the inner container stopped (its rules went with it): the inner container", () => {
        assert.strictEqual(inWrapper("nerdctl stop web >/dev/null").code, 0);
        brokenAt(s, "inner container", /the container that publishes 8080 is not running/);
        assert.strictEqual(inWrapper("nerdctl start web >/dev/null").code, 0);
        works(s);
    });

    it("a host port the wrapper does not publish: the host -> wrapper hop, naming the setting", () => {
        const r = trace(s, UNPUBLISHED);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.out, /^verdict: FAIL at hop 2 \(host -> wrapper\): the wrapper does not publish this host port$/m);
        assert.match(r.out, new RegExp(`fix: pulumi config set --stack ${s.name} --path 'ports\\[1\\]' ${UNPUBLISHED}:INNERPORT`));
    });

    it("a stopped wrapper: the wrapper hop", () => {
        run("docker", ["stop", s.container]);
        brokenAt(s, "wrapper", /the wrapper is exited/);
    });
});
