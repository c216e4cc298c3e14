// One stack moved between releases (issue 19): the seed's nerdctl 1.5.0 /
// containerd 1.7.2, then nerdctl 2.1.3 / containerd 2.1.3 as that release's
// Dockerfile pins them, then back. The images stored under one release are
// listed and run under the other, both ways: the preloaded busybox and an
// image built by each release's BuildKit (layers its own snapshotter wrote).
// The 2.x components are built once into the cache (cold: about 10 minutes on
// two cores, most of it containerd and BuildKit); warm, each up takes a minute.
import * as assert from "assert";
import { BASE_IMAGE, BUSYBOX, BUSYBOX_TAR, requirePrerequisites, Stack } from "./harness";

const id = process.pid.toString(36);

/**
 * The seed's releases (Pulumi.yaml) and nerdctl 2.1.3 with what its own
 * Dockerfile pins; the CNI plugins, BuildKit and tini are left unset, so they
 * follow the nerdctl release.
 */
const SEED = { nerdctlVersion: "1.5.0", containerdVersion: "1.7.2", runcVersion: "1.1.7" };
const V2 = { nerdctlVersion: "2.1.3", containerdVersion: "2.1.3", runcVersion: "1.3.0" };

describe("releases side by side (end to end)", function () {
    let s: Stack;

    before(() => {
        requirePrerequisites();
        s = new Stack(`e2e-${id}-rel`, { baseImage: BASE_IMAGE, preload: [BUSYBOX_TAR] });
    });
    after(() => s?.remove());

    function use(versions: Record<string, string>): void {
        for (const [key, value] of Object.entries(versions)) s.set(key, value);
    }

    /** What the wrapper runs, as its binaries say. */
    function releasesInside(): { nerdctl: string; containerd: string } {
        const nerdctl = s.exec("nerdctl", "version", "--format", "{{.Client.Version}}");
        const containerd = s.exec("containerd", "--version");
        assert.strictEqual(nerdctl.code, 0, nerdctl.out);
        assert.strictEqual(containerd.code, 0, containerd.out);
        console.log(`      inside: nerdctl ${nerdctl.out.trim()}; ${containerd.out.trim()}`);
        return { nerdctl: nerdctl.out.trim(), containerd: containerd.out.trim() };
    }

    /** An image this release's BuildKit built: a layer its snapshotter wrote, on top of busybox. */
    function buildImage(tag: string): void {
        const r = s.exec("sh", "-c", `mkdir -p /tmp/ctx-${tag} && printf 'FROM ${BUSYBOX}\\nRUN echo ${tag} > /made-by\\n' >/tmp/ctx-${tag}/Dockerfile && ` +
            `nerdctl build -q -t rel/kept:${tag} /tmp/ctx-${tag}`);
        assert.strictEqual(r.code, 0, r.out);
    }

    function assertImagesRun(tags: string[]): void {
        const images = s.exec("nerdctl", "images", "--format", "{{.Repository}}:{{.Tag}}");
        assert.strictEqual(images.code, 0, images.out);
        const listed = images.out.split("\n").map((l) => l.trim()).filter(Boolean);
        for (const image of [BUSYBOX, ...tags.map((t) => `rel/kept:${t}`)]) assert.ok(listed.includes(image), `${image} not listed: ${listed.join(", ")}`);
        // The first line: nerdctl 2.1.3 may add `level=error msg="forward signal child exited"` after a --rm run.
        const r = s.exec("nerdctl", "run", "--rm", BUSYBOX, "echo", "ok");
        assert.strictEqual(r.out.split("\n")[0], "ok", r.out);
        for (const tag of tags) {
            const kept = s.exec("nerdctl", "run", "--rm", `rel/kept:${tag}`, "cat", "/made-by");
            assert.strictEqual(kept.out.split("\n")[0], tag, kept.out);
        }
    }

    it("up on nerdctl 1.5.0 / containerd 1.7.2: busybox preloaded, an image built", () => {
        s.up();
        const inside = releasesInside();
        assert.match(inside.nerdctl, /^v?1\.5\.0$/);
        assert.match(inside.containerd, / v1\.7\.2 /);
        const out = s.outputs();
        assert.match(String(out.nerdctlBuild), /^nerdctl 1\.5\.0 with our patch series nerdctl\/patches\/1\.5\.0\//);
        assert.match(String(out.prepareReport), /buildkit serving: v0\.12\.0/);
        buildImage("v1");
        assertImagesRun(["v1"]);
    });

    it("the change to 2.x previews as a new bundle, image and wrapper, the storage untouched", () => {
        use(V2);
        const diff = s.pulumi("preview", "--diff");
        console.log(diff.split("\n").filter((l) => /^\s*[-+~]{1,2}\s|nerdctl-dind:index|Resources:|to (replace|update|create)/.test(l)).map((l) => `      | ${l}`).join("\n"));
        const preview = JSON.parse(s.pulumi("preview", "--json", "--diff")) as { steps: { op: string; urn: string }[] };
        const ops = new Map(preview.steps.map((p) => [p.urn.split("::").pop() ?? "", p.op]));
        const seen = JSON.stringify([...ops]);
        for (const step of ["bundle-build", "wrapper-container"]) assert.strictEqual(ops.get(`nerdctl-dind-${step}`), "replace", `${step}: ${seen}`);
        // The versions that follow the release, named in the preview.
        assert.match(diff, /CNI_PLUGINS_VERSION\s*:\s*"1\.3\.0" => "1\.7\.1"/);
        assert.match(diff, /BUILDKIT_VERSION\s*:\s*"0\.12\.0" => "0\.23\.2"/);
        assert.ok([undefined, "same"].includes(ops.get("nerdctl-dind-storage-folder")), `storage touched: ${seen}`);
    });

    it("up on nerdctl 2.1.3 / containerd 2.1.3: the images of 1.7.2 are listed and run", () => {
        s.up();
        const inside = releasesInside();
        assert.match(inside.nerdctl, /^v?2\.1\.3$/);
        assert.match(inside.containerd, / v2\.1\.3 /);
        const out = s.outputs();
        assert.strictEqual(out.nerdctlBuild, "nerdctl 2.1.3 as released: there is no patch series for 2.1.3 (nerdctl/patches/2.1.3/)");
        assert.deepStrictEqual(out.versions, { containerd: "2.1.3", runc: "1.3.0", cniPlugins: "1.7.1", nerdctl: "2.1.3", buildkit: "0.23.2", tini: "0.19.0" });
        // BuildKit follows the nerdctl release, on the cache database 0.12.0 left.
        assert.match(String(out.prepareReport), /buildkit serving: v0\.23\.2/);
        assertImagesRun(["v1"]);
        buildImage("v2");
    });

    it("back on nerdctl 1.5.0 / containerd 1.7.2: the images of both are listed and run, and it builds again", () => {
        use(SEED);
        s.up();
        const inside = releasesInside();
        assert.match(inside.nerdctl, /^v?1\.5\.0$/);
        assert.match(inside.containerd, / v1\.7\.2 /);
        assert.match(String(s.outputs().prepareReport), /buildkit serving: v0\.12\.0/);
        assertImagesRun(["v1", "v2"]);
        buildImage("v3");
        assertImagesRun(["v1", "v2", "v3"]);
    });
});
