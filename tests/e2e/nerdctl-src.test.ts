// The README's "Hacking on nerdctl" loop, as a user runs it: make
// nerdctl-src, make up, an edit, make up again. The edited nerdctl must
// answer in the same wrapper (same container, same image) while an inner
// container keeps running, and the second up must have built nerdctl ahead
// of Pulumi (nerdctl/early-build.sh). The tree is made where
// NDIND_NERDCTL_SRC says, so a developer's own nerdctl/src is left alone.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BUSYBOX, BUSYBOX_TAR, CACHE, must, requirePrerequisites, ROOT, run, stackFile } from "./harness";

const name = `e2e-${process.pid.toString(36)}-src`;
const container = `nerdctl-dind-${name}`;
const storage = path.join(ROOT, "lib", name);
const src = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-e2e-nerdctl-src-"));
fs.rmSync(src, { recursive: true });
const withSrc = (...args: string[]) => must("env", [`NDIND_NERDCTL_SRC=${src}`, ...args]);
const inWrapper = (...args: string[]) => must("docker", ["exec", container, ...args]).trim();
const MAIN = path.join(src, "cmd", "nerdctl", "main.go");
const SHORT = /(short := "nerdctl is a command line interface for containerd)[^"]*"/;

function cleanup(): void {
    run("env", [`NDIND_NERDCTL_SRC=${src}`, "make", "-s", "destroy", `STACK=${name}`]);
    run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", name, "--non-interactive"]);
    run("docker", ["rm", "-f", container]);
    run("docker", ["rmi", `nerdctl-dind:${name}`]);
    fs.rmSync(storage, { recursive: true, force: true });
    fs.rmSync(stackFile(name), { force: true });
    fs.rmSync(src, { recursive: true, force: true });
}

describe("hacking on nerdctl, as the README says", function () {
    let wrapperId: string;
    let imageId: string;
    let keepId: string;

    before(() => {
        requirePrerequisites();
        run("docker", ["rm", "-f", container]);
        fs.rmSync(storage, { recursive: true, force: true });
    });
    after(cleanup);

    it("make nerdctl-src, then make up: the wrapper runs the nerdctl built from the tree", () => {
        withSrc("make", "nerdctl-src");
        assert.match(fs.readFileSync(MAIN, "utf8"), SHORT, `${MAIN} has no short description to edit`);
        // No registry here: the image an inner container runs is preloaded.
        withSrc("make", "stack", `STACK=${name}`);
        must("pulumi", ["config", "set", "--stack", name, "--path", "preload[0]", BUSYBOX_TAR]);
        withSrc("make", "up", `STACK=${name}`);
        const build = must("pulumi", ["stack", "output", "nerdctlBuild", "--stack", name]).trim();
        assert.match(build, /^nerdctl 1\.5\.0 from nerdctl\/src \(src-[0-9a-f]{12}\)$/);
        wrapperId = must("docker", ["inspect", "-f", "{{.Id}}", container]).trim();
        imageId = must("docker", ["inspect", "-f", "{{.Image}}", container]).trim();
        inWrapper("nerdctl", "run", "-d", "--name", "keep", BUSYBOX, "sleep", "3600");
        keepId = inWrapper("nerdctl", "inspect", "-f", "{{.ID}}", "keep");
    });

    it("an edit, then make up: nerdctl is built ahead of Pulumi and the edited one answers; the wrapper and its containers stay", () => {
        const mark = `edited ${Date.now()}`;
        fs.writeFileSync(MAIN, fs.readFileSync(MAIN, "utf8").replace(SHORT, `$1 (${mark})"`));
        const out = withSrc("make", "up", `STACK=${name}`);
        assert.match(out, /nerdctl\/src: building nerdctl while Pulumi starts/);
        const early = fs.readFileSync(path.join(CACHE, "build", "early-build.log"), "utf8");
        assert.match(early, /built nerdctl-1\.5\.0-src-amd64 in \d+s/, `the early build did not build:\n${early}`);
        assert.match(inWrapper("nerdctl", "--help"), new RegExp(`\\(${mark}\\)`));
        assert.strictEqual(must("docker", ["inspect", "-f", "{{.Id}}", container]).trim(), wrapperId, "the wrapper was replaced");
        assert.strictEqual(must("docker", ["inspect", "-f", "{{.Image}}", container]).trim(), imageId, "the image was rebuilt");
        assert.strictEqual(inWrapper("nerdctl", "inspect", "-f", "{{.ID}} {{.State.Running}}", "keep"), `${keepId} true`);
        assert.match(must("pulumi", ["stack", "output", "nerdctlBuild", "--stack", name]), /from nerdctl\/src \(src-[0-9a-f]{12}\)/);
    });

    it("make up with no edit: nothing is built or replaced", () => {
        const out = withSrc("make", "up", `STACK=${name}`);
        assert.match(out, /\d+ unchanged/);
        assert.doesNotMatch(out, /\d+ (created|updated|replaced|deleted)/);
        assert.match(fs.readFileSync(path.join(CACHE, "build", "early-build.log"), "utf8"), /nerdctl-1\.5\.0-src-amd64 cached/);
    });
});
