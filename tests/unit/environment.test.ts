// The resource graph under Pulumi mocks: one child per step, per-stack names,
// mounts, privileges, ports and outputs. No engine, no Docker.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COMMAND, CONTAINER, find, IMAGE, PROJECT_ROOT, promiseOf, stackDefaults, recorded, unsecret, useMocks } from "./mocks";

useMocks();
import { parseSettings, RawSettings } from "../../components/config";
import { NerdctlEnvironment } from "../../components/environment";

type Inputs = Record<string, unknown>;

// A developer's nerdctl/src must not change the graph these tests expect;
// the one test that wants such a tree makes its own.
const NO_SRC = path.join(os.tmpdir(), "ndind-no-nerdctl-src");
process.env.NDIND_NERDCTL_SRC = NO_SRC;

async function build(stack: string, overrides: RawSettings = {}): Promise<NerdctlEnvironment> {
    recorded.length = 0;
    const s = parseSettings({ ...stackDefaults(), ...overrides }, "nerdctl-dind", stack, PROJECT_ROOT);
    const env = new NerdctlEnvironment(`env-${stack}`, s);
    await promiseOf(env.images);
    return env;
}

function container(): Inputs {
    const [c] = find(CONTAINER);
    return c.inputs;
}

/** Every value given to a `docker run` flag, in order. */
function values(flag: string): string[] {
    const options = container().options as string[];
    return options.flatMap((o, i) => (o === flag ? [options[i + 1]] : []));
}

describe("environment graph", () => {
    it("has one component per step and the resources under them", async () => {
        await build("dev");
        const types = recorded.map((r) => r.type).sort();
        assert.deepStrictEqual(types, [
            "nerdctl-dind:index:Bundle", "nerdctl-dind:index:HostReport", "nerdctl-dind:index:NerdctlEnvironment", "nerdctl-dind:index:Prepare",
            "nerdctl-dind:index:Registries", "nerdctl-dind:index:Storage", "nerdctl-dind:index:Verify", "nerdctl-dind:index:Wrapper",
            "nerdctl-dind:index:WrapperImage",
            COMMAND, COMMAND, COMMAND, COMMAND, COMMAND, COMMAND, CONTAINER, IMAGE,
        ].sort());
        for (const r of recorded.filter((r) => r.type !== "nerdctl-dind:index:NerdctlEnvironment")) {
            assert.ok(r.name.startsWith("env-dev-"), `${r.name} is not named after its component`);
        }
    });

    it("names the image, container and storage after the stack", async () => {
        for (const stack of ["dev-ann", "dev-bob"]) {
            const env = await build(stack);
            assert.strictEqual(container().name, `nerdctl-dind-${stack}`);
            assert.strictEqual(find(IMAGE)[0].inputs.name, `nerdctl-dind:${stack}`);
            assert.strictEqual(env.storageDir, path.join(PROJECT_ROOT, "lib", stack));
        }
    });

    it("builds from ./dockerfile with the base image and the bundle key", async () => {
        await build("dev", { baseImage: "nerdctl-dind/base:bookworm" });
        const image = find(IMAGE)[0].inputs;
        const args = image.buildArgs as Record<string, string>;
        assert.strictEqual(image.dockerfile, "dockerfile");
        assert.deepStrictEqual(image.contextPaths, ["dockerfile", "scripts", `nerdctl/out/${args.BUNDLE}`]);
        assert.match(String(image.contentHash), /^[0-9a-f]{64}$/);
        assert.strictEqual(args.BASE_IMAGE, "nerdctl-dind/base:bookworm");
        assert.match(args.BUNDLE, /^containerd-1\.7\.2_runc-1\.1\.7_cni-1\.3\.0_nerdctl-1\.5\.0-[0-9a-f]{12}_tini-0\.19\.0_buildkit-0\.12\.0$/);
    });

    it("builds nerdctl unpatched when asked, under a key of its own", async () => {
        await build("dev", { nerdctlPatches: false });
        const args = find(IMAGE)[0].inputs.buildArgs as Record<string, string>;
        assert.match(args.BUNDLE, /_nerdctl-1\.5\.0-unpatched_/);
        const [bundle] = find(COMMAND, "env-dev-bundle");
        assert.strictEqual((bundle.inputs.environment as Inputs).NERDCTL_PATCHES, "none");
    });

    it("leaves BuildKit out of the bundle when asked, under a key of its own", async () => {
        await build("dev", { buildkit: false });
        const args = find(IMAGE)[0].inputs.buildArgs as Record<string, string>;
        assert.match(args.BUNDLE, /_tini-0\.19\.0$/);
        const [bundle] = find(COMMAND, "env-dev-bundle");
        assert.strictEqual((bundle.inputs.environment as Inputs).NDIND_BUILDKIT, "false");
    });

    it("with nerdctl/src, puts its nerdctl into the running wrapper on each edit, without a new image", async function () {
        // Two graphs, each asking build.sh and git for the keys: seconds on a busy machine.
        this.timeout(30000);
        const src = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-nerdctl-src-"));
        const git = (...args: string[]) => execFileSync("git", ["-C", src, ...args], { encoding: "utf8" }).trim();
        git("init", "-q");
        fs.writeFileSync(path.join(src, "main.go"), "package main\n");
        git("add", "-A");
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "nerdctl v1.5.0");
        fs.writeFileSync(path.join(src, ".git", "ndind-base"), `1.5.0 ${git("rev-parse", "HEAD")}\n`);
        process.env.NDIND_NERDCTL_SRC = src;
        try {
            await build("dev");
            const bundleArg = (find(IMAGE)[0].inputs.buildArgs as Record<string, string>).BUNDLE;
            const [install] = find(COMMAND, "env-dev-nerdctl-src");
            const key = (install.inputs.triggers as string[])[0];
            assert.match(bundleArg, /_nerdctl-1\.5\.0-src_tini-/);
            assert.match(key, /_nerdctl-1\.5\.0-src-[0-9a-f]{12}_tini-/);
            assert.match(String(install.inputs.create), /docker cp .* && docker exec "\$CONTAINER" mv -f /);
            assert.deepStrictEqual((install.inputs.triggers as string[])[1], "env-dev-wrapper-container-id");

            fs.appendFileSync(path.join(src, "main.go"), "// one line\n");
            await build("dev");
            const [again] = find(COMMAND, "env-dev-nerdctl-src");
            assert.notStrictEqual((again.inputs.triggers as string[])[0], key, "an edit must change the key");
            assert.strictEqual((find(IMAGE)[0].inputs.buildArgs as Record<string, string>).BUNDLE, bundleArg);
        } finally {
            process.env.NDIND_NERDCTL_SRC = NO_SRC;
            fs.rmSync(src, { recursive: true, force: true });
        }
    });

    it("runs the wrapper privileged with init, restart policy, private cgroupns, tmpfs /run, from the built image", async () => {
        await build("dev");
        const c = container();
        const options = c.options as string[];
        for (const flag of ["--privileged", "--init"]) assert.ok(options.includes(flag), flag);
        assert.deepStrictEqual(values("--restart"), ["unless-stopped"]);
        assert.deepStrictEqual(values("--cgroupns"), ["private"]);
        assert.deepStrictEqual(values("--tmpfs"), ["/run:rw,exec,mode=755"]);
        assert.deepStrictEqual(values("--health-cmd"), ["/scripts/healthcheck.sh"]);
        assert.strictEqual(c.image, `sha256:${"ab".repeat(32)}`);
    });

    it("adds listed capabilities instead of --privileged when asked", async () => {
        await build("dev", { privileged: false });
        assert.ok(!(container().options as string[]).includes("--privileged"));
        assert.deepStrictEqual(values("--cap-add"), ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"]);
    });

    it("bind-mounts the storage folder and the preload files", async () => {
        const tarball = path.join(PROJECT_ROOT, "package.json");
        await build("dev", { preload: [tarball] });
        const lib = path.join(PROJECT_ROOT, "lib", "dev");
        assert.deepStrictEqual(values("--mount"), [
            `type=bind,source=${path.join(lib, "containerd")},target=/var/lib/containerd`,
            `type=bind,source=${path.join(lib, "nerdctl")},target=/var/lib/nerdctl`,
            `type=bind,source=${path.join(lib, "buildkit")},target=/var/lib/buildkit`,
            `type=bind,source=${tarball},target=/preload/package.json,readonly`,
        ]);
    });

    it("publishes the configured ports", async () => {
        await build("dev", { ports: ["8080:80", "0.0.0.0:5353:53/udp", "[::1]:8443:443"] });
        assert.deepStrictEqual(values("--publish"), ["127.0.0.1:8080:80/tcp", "0.0.0.0:5353:53/udp", "[::1]:8443:443/tcp"]);
    });

    it("keeps the storage on destroy unless asked", async () => {
        await build("dev");
        const [folder] = find(COMMAND, "env-dev-storage");
        assert.strictEqual((folder.inputs.environment as Inputs).DELETE_ON_DESTROY, "false");
        await build("dev", { destroyDeletesStorage: true });
        const [again] = find(COMMAND, "env-dev-storage");
        assert.strictEqual((again.inputs.environment as Inputs).DELETE_ON_DESTROY, "true");
    });

    it("runs prepare and verify in the wrapper and re-runs them when the wrapper changes", async () => {
        await build("dev");
        const [prepare] = find(COMMAND, "env-dev-prepare");
        const [verify] = find(COMMAND, "env-dev-verify");
        assert.strictEqual(prepare.inputs.create, "docker exec nerdctl-dind-dev /scripts/prepare.sh");
        assert.strictEqual(verify.inputs.create, "docker exec nerdctl-dind-dev /scripts/verify.sh");
        assert.deepStrictEqual(prepare.inputs.triggers, ["env-dev-wrapper-container-id"]);
        assert.strictEqual((verify.inputs.triggers as unknown[])[0], "env-dev-wrapper-container-id");
    });

    it("turns verify's output into the image listing", async () => {
        const env = await build("dev");
        assert.match(await promiseOf(env.imagesText), /^REPOSITORY +TAG/);
        assert.deepStrictEqual(await promiseOf(env.images), [
            { repository: "busybox", tag: "ndind", id: "0123456789ab", size: "2.0 MiB" },
        ]);
    });

    it("configures registries in the running wrapper: in place, secrets on stdin, re-run for a new wrapper", async () => {
        await build("dev", { registryMirrors: { "docker.io": { endpoints: ["http://10.0.0.5:5000"] } } });
        const [configure] = find(COMMAND, "env-dev-registries-configure");
        const exec = `printf '%s\\n' "$NDIND_CONFIG" "$NDIND_SECRET_CONFIG" | docker exec -i nerdctl-dind-dev /scripts/configure.sh`;
        assert.strictEqual(configure.inputs.create, exec);
        assert.strictEqual(configure.inputs.update, exec);
        assert.deepStrictEqual(configure.inputs.triggers, ["env-dev-wrapper-container-id"]);
        assert.match(String(unsecret(configure.inputs.environment).NDIND_CONFIG), /=== file \/etc\/containerd\/certs.d\/docker.io\/hosts.toml 0644/);
        assert.deepStrictEqual(values("--network"), []);
    });

    it("joins the shared registry's network with localRegistry", async () => {
        await build("dev", { localRegistry: true });
        assert.deepStrictEqual(values("--network"), ["nerdctl-dind"]);
    });
});
