// The environment for real: pulumi up / preview / destroy against the Docker
// engine, containerd in the wrapper, images kept in the storage folder.
import * as assert from "assert";
import * as fs from "fs";
import { ALPINE_BASE, BASE_IMAGE, BUSYBOX, BUSYBOX_TAR, must, PROVIDER, requirePrerequisites, run, Stack, waitFor } from "./harness";

const id = process.pid.toString(36);

describe("environment (end to end)", function () {
    let a: Stack;
    let b: Stack;

    before(() => {
        requirePrerequisites();
        a = new Stack(`e2e-${id}-a`, { baseImage: ALPINE_BASE, preload: [BUSYBOX_TAR] });
    });
    after(() => {
        a?.remove();
        b?.remove();
    });

    it("up: verify lists the preloaded busybox, and an inner container runs", () => {
        a.up();
        const out = a.outputs();
        assert.strictEqual(out.containerName, a.container);
        assert.match(String(out.imageTable), /busybox\s+ndind/);
        assert.match(String(out.prepareReport), /preload summary: loaded=1 present=0/);
        assert.deepStrictEqual(out.versions, { containerd: "1.7.2", runc: "1.1.7", cniPlugins: "1.3.0", nerdctl: "1.5.0", buildkit: "0.12.0", tini: "0.19.0" });
        const r = a.exec("nerdctl", "run", "--rm", BUSYBOX, "echo", "ok");
        assert.strictEqual(r.code, 0, r.out);
        assert.strictEqual(r.out.trim(), "ok");
    });

    it("destroy: the wrapper is gone, the storage folder stays", () => {
        a.destroy();
        assert.notStrictEqual(run("docker", ["inspect", a.container]).code, 0, "the wrapper still exists");
        assert.ok(fs.readdirSync(`${a.storage}/containerd`).length > 0, "the storage folder lost its content");
    });

    it("up again: the image is listed without being loaded again", () => {
        a.up();
        const out = a.outputs();
        assert.match(String(out.imageTable), /busybox\s+ndind/);
        assert.match(String(out.prepareReport), /preload summary: loaded=0 present=1/);
    });

    it("a second stack runs beside it with its own container and folder, and its own images", () => {
        b = new Stack(`e2e-${id}-b`, { baseImage: BASE_IMAGE });
        b.up();
        const out = b.outputs();
        assert.strictEqual(out.containerName, b.container);
        assert.strictEqual(out.storageDir, b.storage);
        assert.doesNotMatch(String(out.imageTable), /busybox/);
        assert.deepStrictEqual(out.imageList, []);
        assert.strictEqual(must("docker", ["inspect", "-f", "{{.State.Running}}", a.container]).trim(), "true");
        b.destroy();
        assert.notStrictEqual(run("docker", ["inspect", b.container]).code, 0);
    });

    it("a version change previews as image rebuilt and wrapper replaced, commands re-run, storage untouched", () => {
        a.set("containerdVersion", "1.7.3");
        try {
            const preview = JSON.parse(a.pulumi("preview", "--json", "--diff")) as { steps: { op: string; urn: string }[] };
            const ops = new Map(preview.steps.map((s) => [s.urn.split("::").pop() ?? "", s.op]));
            const seen = JSON.stringify([...ops]);
            for (const step of ["bundle-build", "wrapper-container", "prepare-run", "verify-run"]) {
                assert.strictEqual(ops.get(`nerdctl-dind-${step}`), "replace", `${step}: ${seen}`);
            }
            // docker.Image rebuilds in place; its repoDigest, and so the wrapper, still changes.
            assert.strictEqual(ops.get("nerdctl-dind-image-build"), PROVIDER === "pulumi" ? "update" : "replace", `image-build: ${seen}`);
            assert.ok([undefined, "same"].includes(ops.get("nerdctl-dind-storage-folder")), `storage touched: ${seen}`);
        } finally {
            must("pulumi", ["config", "rm", "--stack", a.name, "containerdVersion"]);
        }
    });

    it("containerd killed in the wrapper is back and serving within seconds, without Pulumi", async () => {
        const pid = a.exec("cat", "/run/nerdctl-dind/containerd.pid").out.trim();
        must("docker", ["exec", a.container, "kill", "-9", pid]);
        const seconds = await waitFor("containerd serving again", 30, () => {
            const now = a.exec("cat", "/run/nerdctl-dind/containerd.pid").out.trim();
            return now !== pid && a.exec("ctr", "version").code === 0;
        });
        console.log(`      containerd back in ${seconds.toFixed(2)} s`);
        assert.match(a.exec("nerdctl", "images").out, /busybox\s+ndind/);
    });
});
