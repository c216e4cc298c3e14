// What the README tells a new user, and nothing more: `make up STACK=<new
// name>` on a clean state with no config set by hand, then `make destroy`.
// make stack chooses the stack's provider and base image and prints them; the
// wrapper serves nerdctl; destroy keeps the stored images in lib/<name>.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALPINE_BASE, must, PROVIDER, removeMadeStack, requirePrerequisites, ROOT, run, stackFile } from "./harness";

const name = `e2e-${process.pid.toString(36)}-new`;
const container = `nerdctl-dind-${name}`;
const storage = path.join(ROOT, "lib", name);
const escaped = name.replace(/[-]/g, "\\-");

// What toolchain/plugins.sh recorded for this Pulumi home decides the provider.
function expectedProvider(): string {
    const home = process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    const state = path.join(home, "nerdctl-dind-plugins");
    const installed = fs.existsSync(state) && fs.readFileSync(state, "utf8").trim().endsWith(" installed");
    const chosen = installed ? "pulumi" : "ndind";
    if (process.env.PROVIDER !== undefined && process.env.PROVIDER !== chosen) {
        throw new Error(`this run is PROVIDER=${PROVIDER}, but make stack picks ${chosen} here (${state}: ` +
            `${fs.existsSync(state) ? fs.readFileSync(state, "utf8").trim() : "absent"}); ` +
            `for pulumi, install the docker and command plugins into PULUMI_HOME and run make plugins`);
    }
    return chosen;
}

const cleanup = () => removeMadeStack(name);

describe("a new stack, made as the README says", function () {
    let provider: string;

    before(() => {
        requirePrerequisites();
        provider = expectedProvider();
        run("docker", ["rm", "-f", container]);
        fs.rmSync(storage, { recursive: true, force: true });
        assert.ok(!fs.existsSync(stackFile(name)), "a leftover config would not be a clean state");
    });
    after(cleanup);

    it("make up STACK=<new>: creates the stack, prints the provider and base image it chose, and comes up", () => {
        const out = must("make", ["up", `STACK=${name}`]);
        assert.match(out, new RegExp(`stack ${escaped}: new, pulumi stack init ${escaped}`));
        assert.match(out, new RegExp(`stack ${escaped}: plugins = ${provider} \\(chosen now: [^)]+\\)`));
        const base = new RegExp(`stack ${escaped}: baseImage = (\\S+) \\(chosen now: [^\\n]+\\)`).exec(out);
        assert.ok(base, `no baseImage choice printed:\n${out.slice(-4000)}`);
        assert.ok(["alpine:3.23", ALPINE_BASE].includes(base[1]), base[0]);
        const stackConfig = (key: string) => must("pulumi", ["config", "get", key, "--stack", name]).trim();
        assert.strictEqual(stackConfig("plugins"), provider);
        assert.strictEqual(stackConfig("baseImage"), base[1]);

        assert.strictEqual(must("docker", ["inspect", "-f", "{{.State.Running}}", container]).trim(), "true");
        const images = run("docker", ["exec", container, "nerdctl", "images"]);
        assert.strictEqual(images.code, 0, images.out);
        assert.match(images.out, /^REPOSITORY\s+TAG\s+IMAGE ID/);
    });

    it("make up again keeps both choices (set earlier) and changes nothing", () => {
        const out = must("make", ["up", `STACK=${name}`]);
        assert.match(out, new RegExp(`stack ${escaped}: plugins = ${provider} \\(set earlier\\)`));
        assert.match(out, new RegExp(`stack ${escaped}: baseImage = \\S+ \\(set earlier\\)`));
        assert.doesNotMatch(out, /chosen now/);
        assert.match(out, /\d+ unchanged/);
        assert.doesNotMatch(out, /\d+ (created|updated|replaced|deleted)/);
    });

    it("make destroy STACK=<new>: the wrapper goes, lib/<name> stays", () => {
        must("make", ["destroy", `STACK=${name}`]);
        assert.notStrictEqual(run("docker", ["inspect", container]).code, 0, `${container} is still there`);
        assert.ok(fs.existsSync(path.join(storage, "containerd")), `${storage}/containerd is gone`);
    });
});
