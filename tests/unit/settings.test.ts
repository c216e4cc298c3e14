// Validation: every invalid value is refused, all at once, with a message
// that names the setting, the value and the fix. No engine needed.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RawSettings } from "../../components/settings/catalog";
import { unknownSettings } from "../../components/settings/load";
import { localProblems } from "../../components/settings/preflight";
import { OWNER_FILE, SettingsError, STORAGE_IMAGE_FILE } from "../../components/settings/types";
import { parseSettings } from "../../components/settings/validate";
import { NO_CONTEXTS, PROJECT_ROOT, stackDefaults } from "./mocks";

/** What validation refuses, else what the preflight finds in the local files. */
function problemsOf(overrides: RawSettings, stack = "dev"): string[] {
    try {
        return localProblems(parseSettings({ ...stackDefaults(), ...overrides }, "nerdctl-dind", stack, PROJECT_ROOT, NO_CONTEXTS));
    } catch (e) {
        assert.ok(e instanceof SettingsError, `expected SettingsError, got ${e}`);
        return e.problems;
    }
}

describe("settings", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-settings-"));
    const tarball = path.join(tmp, "busybox.tar");
    fs.writeFileSync(tarball, "");

    it("gives a setting the stack leaves unset its catalog default", () => {
        const s = parseSettings({ ...stackDefaults(), runcVersion: undefined, ports: undefined }, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
        assert.strictEqual(s.versions.runc, "1.1.7");
        assert.deepStrictEqual(s.ports, []);
    });

    it("takes the Pulumi.yaml defaults", () => {
        const s = parseSettings(stackDefaults(), "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
        assert.strictEqual(s.baseImage, "alpine:3.23");
        // The CNI plugins and BuildKit are left to the nerdctl release's pins (the bundle's versions, tests/unit/release-pins.test.ts).
        assert.deepStrictEqual(s.versions, { containerd: "1.7.2", runc: "1.1.7", cniPlugins: "", nerdctl: "1.5.0", buildkit: "" });
        assert.strictEqual(s.storageDir, path.join(PROJECT_ROOT, "lib", "dev"));
        assert.deepStrictEqual(s.ports, []);
        assert.strictEqual(s.destroyDeletesStorage, false);
        assert.strictEqual(s.privileged, true);
        assert.strictEqual(s.iptablesBackend, "auto");
        assert.strictEqual(s.forwards, "loopback");
        assert.strictEqual(s.buildkit, true);
        assert.ok(Object.isFrozen(s));
    });

    it("parses ports, binding to 127.0.0.1 unless an address is given", () => {
        const s = parseSettings({ ...stackDefaults(), ports: ["8080:80", "0.0.0.0:5353:53/udp", "[::1]:8443:443"] },
            "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
        assert.deepStrictEqual(s.ports, [
            { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" },
            { hostIp: "0.0.0.0", hostPort: 5353, containerPort: 53, protocol: "udp" },
            { hostIp: "::1", hostPort: 8443, containerPort: 443, protocol: "tcp" },
        ]);
    });

    it("resolves preload files against the project root", () => {
        const s = parseSettings({ ...stackDefaults(), preload: [tarball] }, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
        assert.deepStrictEqual(s.preload, [tarball]);
    });

    const refused: [string, RawSettings, string][] = [
        ["a bad port", { ports: ["80"] },
            'nerdctl-dind:ports[0] is "80": write [HOSTADDR:]HOSTPORT:CONTAINERPORT[/tcp|/udp] with ports 1-65535, e.g. 8080:80'],
        ["a port out of range", { ports: ["70000:80"] },
            'nerdctl-dind:ports[0] is "70000:80": write [HOSTADDR:]HOSTPORT:CONTAINERPORT[/tcp|/udp] with ports 1-65535, e.g. 8080:80'],
        ["a duplicate host port", { ports: ["8080:80", "8080:81"] },
            'nerdctl-dind:ports[1] is "8080:81": host port 8080/tcp is already published by nerdctl-dind:ports[0]; give each host port once'],
        ["ports that are not a list", { ports: "8080:80" },
            `nerdctl-dind:ports must be a list of strings, got "8080:80"; set it with: pulumi config set --path 'ports[0]' VALUE`],
        ["a relative storage folder", { storageDir: "lib/mine" },
            `nerdctl-dind:storageDir is "lib/mine": give an absolute path, e.g. ${path.join(PROJECT_ROOT, "lib", "dev")}`],
        ["a storage folder whose parent is missing", { storageDir: "/nonexistent-ndind/store" },
            'nerdctl-dind:storageDir is "/nonexistent-ndind/store": its parent folder /nonexistent-ndind does not exist; create it first'],
        ["a version with a leading v", { containerdVersion: "v1.7.2" },
            'nerdctl-dind:containerdVersion is "v1.7.2": write a release as X.Y.Z, e.g. 1.7.2 (no leading "v")'],
        ["an unknown version format", { nerdctlVersion: "latest" },
            'nerdctl-dind:nerdctlVersion is "latest": write a release as X.Y.Z, e.g. 1.7.2 (no leading "v")'],
        ["a missing preload file", { preload: ["/nonexistent/busybox.tar"] },
            'nerdctl-dind:preload[0] is "/nonexistent/busybox.tar": no such file; give the path of an image tarball made by docker save or nerdctl save'],
        ["two preload files with one name", { preload: [tarball, tarball] },
            `nerdctl-dind:preload[1] is "${tarball}": its file name is the same as nerdctl-dind:preload[0]'s; rename one, they share /preload in the wrapper`],
        ["a bad base image", { baseImage: "Alpine 3.18" },
            'nerdctl-dind:baseImage is "Alpine 3.18": give an image reference such as alpine:3.23'],
        ["a non-boolean privileged", { privileged: "yes" },
            'nerdctl-dind:privileged must be true or false, got "yes"'],
        ["an empty base image", { baseImage: "" },
            "nerdctl-dind:baseImage is empty: give an image reference such as alpine:3.23, or pulumi config rm baseImage for the default"],
        ["an unknown iptables backend", { iptablesBackend: "nftables" },
            'nerdctl-dind:iptablesBackend is "nftables": give auto (the wrapper tries each backend), legacy or nft'],
        ["an unknown forwards mode", { forwards: "all" },
            'nerdctl-dind:forwards is "all": give loopback (every forward on 127.0.0.1), asked (the address the inner -p asked for) or off'],
        ["an unknown storage layout", { storageLayout: "volume" },
            'nerdctl-dind:storageLayout is "volume": give auto (the wrapper chooses), folder or image'],
        ["an image size without a unit", { storageImageSize: "64" },
            'nerdctl-dind:storageImageSize is "64": give a size of 1G or more as NUMBER with M, G or T, e.g. 64G'],
        ["an image size under 1G", { storageImageSize: "512M" },
            'nerdctl-dind:storageImageSize is "512M": give a size of 1G or more as NUMBER with M, G or T, e.g. 64G'],
        ["a free share of 100 percent", { storageMinFree: 100 },
            "nerdctl-dind:storageMinFree is 100: give a whole percent from 0 to 99, e.g. 10 (0: never warn)"],
        ["a free share as a fraction", { storageMinFree: "0.1" },
            'nerdctl-dind:storageMinFree is "0.1": give a whole percent from 0 to 99, e.g. 10 (0: never warn)'],
        ["a non-boolean buildkit", { buildkit: "no" },
            'nerdctl-dind:buildkit must be true or false, got "no"'],
        ["a BuildKit version with BuildKit left out", { buildkit: false, buildkitVersion: "0.13.2" },
            'nerdctl-dind:buildkitVersion is "0.13.2" but nerdctl-dind:buildkit is false, so no BuildKit is built: ' +
            "pulumi config rm buildkitVersion, or pulumi config set buildkit true"],
        ["a BuildKit version not written X.Y.Z", { buildkitVersion: "v0.13" },
            'nerdctl-dind:buildkitVersion is "v0.13": write a release as X.Y.Z, e.g. 1.7.2 (no leading "v")'],
        ["a stack made without make stack (no plugins)", { plugins: "" },
            "nerdctl-dind:plugins is not set: run `make stack STACK=<name>` (it picks pulumi where the docker and command plugins are installed, ndind otherwise), or set it: pulumi config set plugins pulumi|ndind"],
        ["unknown plugins", { plugins: "docker" },
            'nerdctl-dind:plugins is "docker": give one of pulumi, ndind'],
    ];
    for (const [what, overrides, message] of refused) {
        it(`refuses ${what}`, () => assert.deepStrictEqual(problemsOf(overrides), [message]));
    }

    it("refuses a storage folder that belongs to another stack", () => {
        const dir = path.join(tmp, "shared");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, OWNER_FILE), "nerdctl-dind/dev-ann\n");
        assert.deepStrictEqual(problemsOf({ storageDir: dir }, "dev-bob"), [
            `nerdctl-dind:storageDir is "${dir}": that folder holds the images of stack nerdctl-dind/dev-ann; give this stack a folder of its own`,
        ]);
        assert.deepStrictEqual(problemsOf({ storageDir: dir }, "dev-ann"), []);
    });

    it("refuses a layout that would hide the images the folder holds in the other layout", () => {
        const dir = path.join(tmp, "layouts");
        fs.mkdirSync(path.join(dir, "containerd"), { recursive: true });
        assert.deepStrictEqual(problemsOf({ storageDir: dir, storageLayout: "image" }), [], "an empty folder takes either layout");
        assert.deepStrictEqual(problemsOf({ storageDir: dir, storageLayout: "folder" }), []);
        fs.mkdirSync(path.join(dir, "containerd", "io.containerd.content.v1.content"));
        assert.deepStrictEqual(problemsOf({ storageDir: dir, storageLayout: "image" }), [
            `nerdctl-dind:storageLayout is "image", but ${dir}/containerd holds this stack's images in the folder layout; ` +
            "set it to auto or folder, or save the images (nerdctl save) and make purge first",
        ]);
        assert.deepStrictEqual(problemsOf({ storageDir: dir, storageLayout: "auto" }), []);
        fs.rmSync(path.join(dir, "containerd", "io.containerd.content.v1.content"), { recursive: true });
        fs.writeFileSync(path.join(dir, "containerd", STORAGE_IMAGE_FILE), "");
        assert.deepStrictEqual(problemsOf({ storageDir: dir, storageLayout: "folder" }), [
            `nerdctl-dind:storageLayout is "folder", but ${dir}/containerd/${STORAGE_IMAGE_FILE} holds this stack's images (layout image); ` +
            "set it to auto or image, or save the images (nerdctl save) and make purge first",
        ]);
        assert.deepStrictEqual(problemsOf({ storageDir: dir, storageLayout: "image" }), []);
    });

    it("refuses a storage folder on a read-only filesystem", () => {
        // /proc is read-only to everyone, root included.
        assert.deepStrictEqual(problemsOf({ storageDir: "/proc/ndind" }), [
            'nerdctl-dind:storageDir is "/proc/ndind": /proc is not writable; give a folder this user can write to',
        ]);
    });

    it("reports every problem at once, in one message", () => {
        try {
            parseSettings({ ...stackDefaults(), ports: ["x"], runcVersion: "1.1" }, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
            assert.fail("expected a SettingsError");
        } catch (e) {
            assert.ok(e instanceof SettingsError);
            assert.strictEqual(e.problems.length, 2);
            assert.match(e.message, /^invalid settings:\n {2}- nerdctl-dind:runcVersion is "1.1"/);
        }
    });
});

describe("settings the catalog does not declare", () => {
    it("are refused with the nearest setting named, other namespaces and older names left alone", () => {
        assert.deepStrictEqual(unknownSettings(["nerdctl-dind:registryMirror", "nerdctl-dind:ports", "nerdctl-dind:provider", "docker:host"], "nerdctl-dind"), [
            "nerdctl-dind:registryMirror is not a setting of this project: did you mean registryMirrors? remove it with pulumi config rm registryMirror " +
            "(the settings are in Pulumi.yaml and the README's Settings table)"]);
        assert.match(unknownSettings(["nerdctl-dind:qqqqqqqq"], "nerdctl-dind")[0], /^nerdctl-dind:qqqqqqqq is not a setting of this project: remove it/);
    });
});
