// Port mapping for real (issues 4 and 12): the reproductions pass on our
// patched nerdctl, and a port published on both layers answers on the host.
import * as assert from "assert";
import * as path from "path";
import { ALPINE_BASE, BUSYBOX, BUSYBOX_TAR, must, requirePrerequisites, ROOT, run, Stack, waitFor } from "./harness";

const id = process.pid.toString(36);
const HOST_PORT = "18480";
const PAGE = "served-by-inner-httpd";

function fetchPage(): string {
    return run("curl", ["-s", "--max-time", "2", `http://127.0.0.1:${HOST_PORT}/`]).out;
}

describe("port mapping (end to end)", function () {
    let s: Stack;

    before(() => {
        requirePrerequisites();
        s = new Stack(`e2e-${id}-p`, { baseImage: ALPINE_BASE, preload: [BUSYBOX_TAR], ports: [`${HOST_PORT}:8080`] });
        s.up();
    });
    after(() => s?.remove());

    const reproductions: [string, string][] = [
        ["repro-2537.sh", "nerdctl #2537 (automatic ports collide)"],
        ["repro-2179.sh", "nerdctl #2179 (a published port is given again)"],
        ["repro-2699.sh", "nerdctl #2699 (kill, stop and exit leave the rules)"],
        ["repro-host-socket.sh", "a port a host server listens on is given"],
        ["repro-1872.sh", "nerdctl #1872 (removed containers leave masquerade chains)"],
    ];
    for (const [script, bug] of reproductions) {
        it(`${bug}: the reproduction passes on our patched build`, () => {
            const r = run("sh", [path.join(ROOT, "tests", "portmap", script), s.container, BUSYBOX]);
            assert.strictEqual(r.code, 0, r.out);
            assert.match(r.out, /PASS/);
            // Other releases refuse in their own words; ours names the process.
            if (script === "repro-host-socket.sh") assert.match(r.out, /PASS: .*"address already in use", with the process/);
        });
    }

    it("an inner httpd published with nerdctl run -p answers on the host through the wrapper's port", async () => {
        const r = s.exec("nerdctl", "run", "-d", "--name", "web", "--restart", "always", "-p", "8080:80", BUSYBOX,
            "sh", "-c", `echo ${PAGE} > /www/index.html && exec httpd -f -p 80 -h /www`);
        assert.strictEqual(r.code, 0, r.out);
        await waitFor("the page on the host", 30, () => fetchPage().includes(PAGE));
    });

    it("after docker restart of the wrapper, the restart-policy container answers on the same port", async () => {
        must("docker", ["restart", s.container]);
        const t = await waitFor("the page after restart", 90, () => fetchPage().includes(PAGE));
        console.log(`      answering again ${t.toFixed(1)} s after docker restart`);
    });

    it("changing the published ports previews as a wrapper replacement that keeps the storage", () => {
        s.set("ports", [`${HOST_PORT}:8080`, "18481:8081"]);
        try {
            const preview = JSON.parse(s.pulumi("preview", "--json", "--diff")) as { steps: { op: string; urn: string }[] };
            const ops = new Map(preview.steps.map((p) => [p.urn.split("::").pop() ?? "", p.op]));
            const seen = JSON.stringify([...ops]);
            assert.strictEqual(ops.get("nerdctl-dind-wrapper-container"), "replace", seen);
            assert.ok([undefined, "same"].includes(ops.get("nerdctl-dind-storage-folder")), `storage touched: ${seen}`);
            assert.ok([undefined, "same"].includes(ops.get("nerdctl-dind-image-build")), `image rebuilt: ${seen}`);
        } finally {
            s.set("ports", [`${HOST_PORT}:8080`]);
        }
    });
});
