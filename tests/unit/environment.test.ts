// The resource graph under Pulumi mocks, for each implementation of the seam:
// one child per step, per-stack names, mounts, privileges, ports and outputs.
// No engine, no Docker.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { find, IMAGE_ID, NO_CONTEXTS, PROJECT_ROOT, promiseOf, stackDefaults, recorded, TYPES, unsecret, useMocks } from "./mocks";

useMocks();
import { RawSettings } from "../../components/settings/catalog";
import { parseSettings } from "../../components/settings/validate";
import { NerdctlEnvironment } from "../../components/environment";
import { PLUGIN_SETS } from "../../components/plugins/kinds";
import { Arch } from "../../components/engine";

type Inputs = Record<string, unknown>;

// A developer's nerdctl/src must not change the graph these tests expect;
// the one test that wants such a tree makes its own.
const NO_SRC = path.join(os.tmpdir(), "ndind-no-nerdctl-src");
process.env.NDIND_NERDCTL_SRC = NO_SRC;

/** What the image build was given, whichever implementation took it. */
interface ImageInputs {
    imageName: string;
    dockerfile: string;
    buildArgs: Record<string, string>;
    platform: string;
}

for (const kind of PLUGIN_SETS) describe(`environment graph, provider ${kind}`, () => {
    const { image: IMAGE, container: CONTAINER, command: COMMAND } = TYPES[kind];

    /** The graph for an engine on ARCH (what the preflight would have asked it). */
    async function build(stack: string, overrides: RawSettings = {}, arch: Arch = "amd64"): Promise<NerdctlEnvironment> {
        recorded.length = 0;
        const parsed = parseSettings({ ...stackDefaults(kind), ...overrides }, "nerdctl-dind", stack, PROJECT_ROOT, NO_CONTEXTS);
        const s = { ...parsed, engine: { ...parsed.engine, arch } };
        const env = new NerdctlEnvironment(`env-${stack}`, s);
        await promiseOf(env.imageList);
        return env;
    }

    function container(): Inputs {
        const [c] = find(CONTAINER);
        return c.inputs;
    }

    function image(): ImageInputs {
        const i = find(IMAGE)[0].inputs;
        if (kind === "ndind") {
            return { imageName: String(i.name), dockerfile: String(i.dockerfile), buildArgs: i.buildArgs as Record<string, string>, platform: String(i.platform) };
        }
        const b = i.build as Inputs;
        return {
            imageName: String(i.imageName),
            dockerfile: path.relative(String(b.context), String(b.dockerfile)),
            buildArgs: b.args as Record<string, string>,
            platform: String(b.platform),
        };
    }

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
            assert.strictEqual(image().imageName, `nerdctl-dind:${stack}`);
            assert.strictEqual(env.storageDir, path.join(PROJECT_ROOT, "lib", stack));
        }
    });

    it("builds from ./dockerfile with the base image and the bundle key", async () => {
        await build("dev", { baseImage: "nerdctl-dind/base:bookworm" });
        const { dockerfile, buildArgs: args } = image();
        assert.strictEqual(dockerfile, "dockerfile");
        const inputs = find(IMAGE)[0].inputs;
        if (kind === "ndind") {
            assert.deepStrictEqual(inputs.contextPaths, ["dockerfile", "scripts", `nerdctl/out/${args.BUNDLE}`]);
            assert.match(String(inputs.contentHash), /^[0-9a-f]{64}$/);
        } else {
            // BuildKit needs buildx, which the docker CLIs here lack.
            assert.deepStrictEqual({ ...(inputs.build as Inputs), args: undefined, dockerfile: undefined },
                { context: PROJECT_ROOT, builderVersion: "BuilderV1", args: undefined, dockerfile: undefined, platform: "linux/amd64" });
            assert.strictEqual(inputs.skipPush, true);
        }
        assert.strictEqual(args.BASE_IMAGE, "nerdctl-dind/base:bookworm");
        assert.match(args.BUNDLE, /^containerd-1\.7\.2_runc-1\.1\.7_cni-1\.3\.0_nerdctl-1\.5\.0-[0-9a-f]{12}_tini-0\.19\.0_buildkit-0\.12\.0_tools-\d+_arch-amd64$/);
    });

    it("builds the bundle and the image for the engine's architecture; a change of it shows in the preview", async function () {
        // Each graph asks build.sh for the keys: seconds on a busy machine.
        this.timeout(30000);
        const seen: { env: unknown; triggers: unknown; platform: string; hash: string; bundleArg: string }[] = [];
        for (const arch of ["amd64", "arm64"] as const) {
            await build("dev", {}, arch);
            const [bundle] = find(COMMAND, "env-dev-bundle");
            const { buildArgs, platform } = image();
            const hash = String(find(IMAGE)[0].inputs.contentHash);
            assert.strictEqual((bundle.inputs.environment as Inputs).NDIND_ARCH, arch);
            assert.strictEqual(platform, `linux/${arch}`);
            assert.match(buildArgs.BUNDLE, new RegExp(`_arch-${arch}$`));
            assert.match((bundle.inputs.triggers as string[])[0], new RegExp(`_arch-${arch}$`));
            seen.push({ env: bundle.inputs.environment, triggers: bundle.inputs.triggers, platform, hash, bundleArg: buildArgs.BUNDLE });
        }
        // What the engine's change does: every input Pulumi diffs on differs, so the bundle
        // runs again and the image (and with it the wrapper) is replaced; the rest is one key.
        const [a, b] = seen;
        // docker.Image hashes the context itself; contentHash is ndind's.
        for (const field of kind === "ndind" ? ["env", "triggers", "platform", "hash", "bundleArg"] as const : ["env", "triggers", "platform", "bundleArg"] as const) {
            assert.notDeepStrictEqual(a[field], b[field], `${field} is the same on amd64 and arm64`);
        }
        assert.strictEqual(a.bundleArg.replace(/_arch-amd64$/, ""), b.bundleArg.replace(/_arch-arm64$/, ""));
    });

    it("builds nerdctl unpatched when asked, under a key of its own", async () => {
        await build("dev", { nerdctlPatches: false });
        const args = image().buildArgs;
        assert.match(args.BUNDLE, /_nerdctl-1\.5\.0-unpatched_/);
        const [bundle] = find(COMMAND, "env-dev-bundle");
        assert.strictEqual((bundle.inputs.environment as Inputs).NERDCTL_PATCHES, "none");
    });

    it("leaves BuildKit out of the bundle when asked, under a key of its own", async () => {
        await build("dev", { buildkit: false });
        const args = image().buildArgs;
        assert.match(args.BUNDLE, /_tini-0\.19\.0_tools-\d+_arch-amd64$/);
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
            const bundleArg = image().buildArgs.BUNDLE;
            const [install] = find(COMMAND, "env-dev-nerdctl-src");
            const key = (install.inputs.triggers as string[])[0];
            assert.match(bundleArg, /_nerdctl-1\.5\.0-src_tini-/);
            assert.match(key, /_nerdctl-1\.5\.0-src-[0-9a-f]{12}_tini-/);
            // Streamed beside the old binary and renamed over it, in one docker exec.
            assert.match(String(install.inputs.create), /docker exec -i "\$CONTAINER" sh -c 'cat >(\S+) && .*mv -f \1 \/usr\/local\/bin\/nerdctl .*<"\$BINARY"/);
            assert.deepStrictEqual((install.inputs.triggers as string[])[1], "env-dev-wrapper-container-id");

            fs.appendFileSync(path.join(src, "main.go"), "// one line\n");
            await build("dev");
            const [again] = find(COMMAND, "env-dev-nerdctl-src");
            assert.notStrictEqual((again.inputs.triggers as string[])[0], key, "an edit must change the key");
            assert.strictEqual(image().buildArgs.BUNDLE, bundleArg);
        } finally {
            process.env.NDIND_NERDCTL_SRC = NO_SRC;
            fs.rmSync(src, { recursive: true, force: true });
        }
    });

    it("runs the wrapper privileged with init, restart policy, private cgroupns, tmpfs /run, from the built image", async () => {
        await build("dev");
        const c = container();
        assert.strictEqual(c.privileged, true);
        assert.strictEqual(c.init, true);
        assert.strictEqual(c.restart, "unless-stopped");
        assert.strictEqual(c.cgroupnsMode, "private");
        assert.strictEqual(c.hostname, "nerdctl-dind-dev");
        assert.deepStrictEqual(c.envs, ["NDIND_IPTABLES=auto"]);
        assert.deepStrictEqual(c.tmpfs, { "/run": "rw,exec,mode=755" });
        assert.deepStrictEqual((c.healthcheck as Inputs).tests, ["CMD", "/scripts/healthcheck.sh"]);
        assert.deepStrictEqual(c.labels, [{ label: "nerdctl-dind.stack", value: "nerdctl-dind/dev" }]);
        assert.strictEqual(c.image, IMAGE_ID);
        if (kind === "pulumi") assert.strictEqual(c.mustRun, true);
    });

    it("hands the iptablesBackend setting to the entry script", async () => {
        await build("dev", { iptablesBackend: "nft" });
        assert.deepStrictEqual(container().envs, ["NDIND_IPTABLES=nft"]);
    });

    it("hands storageLayout, storageImageSize and storageMinFree to the wrapper only when they are not the defaults", async () => {
        await build("dev", { storageLayout: "image", storageImageSize: "8G", storageMinFree: 25 });
        assert.deepStrictEqual(container().envs, ["NDIND_IPTABLES=auto", "NDIND_STORAGE_LAYOUT=image", "NDIND_STORAGE_IMAGE_SIZE=8G", "NDIND_STORAGE_MIN_FREE=25"]);
        await build("dev", { storageLayout: "auto", storageImageSize: "64G", storageMinFree: 10 });
        assert.deepStrictEqual(container().envs, ["NDIND_IPTABLES=auto"]);
    });

    it("adds listed capabilities instead of --privileged when asked", async () => {
        await build("dev", { privileged: false });
        assert.strictEqual(container().privileged, false);
        assert.deepStrictEqual(container().capabilities, { adds: ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"], drops: [] });
        assert.deepStrictEqual(container().securityOpts, ["seccomp=unconfined", "apparmor=unconfined"]);
    });

    it("bind-mounts the storage folder and the preload files", async () => {
        const tarball = path.join(PROJECT_ROOT, "package.json");
        await build("dev", { preload: [tarball] });
        const lib = path.join(PROJECT_ROOT, "lib", "dev");
        const bind = (source: string, target: string, readOnly = false) => ({ type: "bind", source, target, readOnly });
        assert.deepStrictEqual(container().mounts, [
            bind(path.join(lib, "containerd"), "/var/lib/containerd"),
            bind(path.join(lib, "nerdctl"), "/var/lib/nerdctl"),
            bind(path.join(lib, "buildkit"), "/var/lib/buildkit"),
            bind(tarball, "/preload/package.json", true),
        ]);
    });

    it("publishes the configured ports", async () => {
        await build("dev", { ports: ["8080:80", "0.0.0.0:5353:53/udp", "[::1]:8443:443"] });
        assert.deepStrictEqual(container().ports, [
            { internal: 80, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
            { internal: 53, external: 5353, ip: "0.0.0.0", protocol: "udp" },
            { internal: 443, external: 8443, ip: "::1", protocol: "tcp" },
        ]);
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

    it("turns verify's output into the image listing and the storage layout", async () => {
        const env = await build("dev");
        assert.match(await promiseOf(env.storageLayout), /^image \(overlayfs cannot use fuse as its upper dir: Invalid argument\); used 12 of/);
        assert.match(await promiseOf(env.imageTable), /^REPOSITORY +TAG/);
        assert.deepStrictEqual(await promiseOf(env.imageList), [
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
        assert.strictEqual(container().networkMode, undefined);
    });

    it("joins the shared registry's network with localRegistry", async () => {
        await build("dev", { localRegistry: true });
        assert.strictEqual(container().networkMode, "nerdctl-dind");
    });
});
