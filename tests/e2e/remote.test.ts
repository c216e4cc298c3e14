// A stack on another Docker host, reached over ssh: the second host is a
// container of its own (tests/remote/host.sh) with its own dockerd, its own
// filesystem and sshd on 127.0.0.1 only. Nothing of this machine's folders
// is shared with it, so whatever the stack needs must go through the engine.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BASE_IMAGE, BUSYBOX, BUSYBOX_TAR, CACHE, env, must, requirePrerequisites, ROOT, run, Stack, stackFile, waitFor } from "./harness";

const id = process.pid.toString(36);
// Host ports of this file: 16100-16999, or the range NDIND_REMOTE_PORTS
// (LOW-HIGH) names. Concurrent runs (other checkouts' make test) share it: the
// pair of ports is picked at start, the first one free from a per-run offset;
// HIGH is the port where nothing listens.
const PORTS = process.env.NDIND_REMOTE_PORTS ?? "16100-16999";
const [PORT_LOW, PORT_HIGH] = PORTS.split("-").map(Number);
if (!/^\d+-\d+$/.test(PORTS) || PORT_HIGH - PORT_LOW < 10) throw new Error(`NDIND_REMOTE_PORTS is '${PORTS}': give LOW-HIGH, at least 10 ports`);
let SSH_PORT = 0;
const NOTHING_PORT = PORT_HIGH;
const HOST = `ndind-remote-${id}`;
let ENGINE = "";
const WEB_PORT = 16180;
let TLS_PORT = 0;
let TLS_ENGINE = "";
const TLS_SETTINGS: [string, string][] = [["dockerTlsCa", "ca.pem"], ["dockerTlsCert", "cert.pem"], ["dockerTlsKey", "key.pem"]];

/** A command run inside the second host (through this machine's engine, not ssh). */
function onHost(...args: string[]): ReturnType<typeof run> {
    return run("docker", ["exec", HOST, ...args]);
}

describe("remote engine over ssh (end to end)", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-remote-"));
    const path0 = env.PATH;
    const dockerConfig0 = env.DOCKER_CONFIG;
    let s: Stack;
    let inWrapper: (...args: string[]) => ReturnType<typeof run>;

    before(() => {
        requirePrerequisites();
        const t0 = Date.now();
        for (let i = 0; ; i++) {
            const span = PORT_HIGH - PORT_LOW - 1;
            SSH_PORT = PORT_LOW + ((process.pid + i * 2) % span) - ((process.pid + i * 2) % 2);
            TLS_PORT = SSH_PORT + 1;
            const r = run("env", [`TLS_PORT=${TLS_PORT}`, "sh", "tests/remote/host.sh", "up", HOST, String(SSH_PORT), dir]);
            if (r.code === 0) break;
            if (!/port is already allocated|address already in use/.test(r.out) || i > 20) throw new Error(`the second host did not start:\n${r.out}`);
        }
        ENGINE = `ssh://root@127.0.0.1:${SSH_PORT}`;
        TLS_ENGINE = `tcp://127.0.0.1:${TLS_PORT}`;
        console.log(`      second host up in ${((Date.now() - t0) / 1000).toFixed(2)} s (docker run -> docker info over ssh and tcp+TLS)`);
        // docker's ssh transport runs `ssh` from PATH: this one reads the test's key and known_hosts.
        env.PATH = `${path.join(dir, "bin")}:${path0}`;
        s = new Stack(`e2e-${id}-r`, { baseImage: BASE_IMAGE, dockerHost: ENGINE, preload: [BUSYBOX_TAR], ports: [`${WEB_PORT}:8080`] });
        inWrapper = (...args) => onHost("docker", "exec", s.container, ...args);
    });
    after(() => {
        s?.remove();
        env.PATH = path0;
        env.DOCKER_CONFIG = dockerConfig0;
        if (s) fs.rmSync(path.join(CACHE, "tls", `nerdctl-dind.${s.name}`), { recursive: true, force: true });
        run("sh", ["tests/remote/host.sh", "down", HOST]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("the second host answers over ssh, non-interactively", () => {
        assert.match(must("docker", ["-H", ENGINE, "info", "--format", "{{.Name}}"]), new RegExp(HOST));
    });

    it("up: the wrapper runs on the second host, built there, with the streamed busybox", () => {
        assert.notStrictEqual(onHost("docker", "image", "inspect", BASE_IMAGE).code, 0, "the second host had the base image already");
        s.up();
        const out = s.outputs();
        assert.match(String(out.imageTable), /busybox\s+ndind/);
        assert.match(String(out.prepareReport), /preload summary: loaded=1 present=0 \(streamed to ssh:/);
        assert.strictEqual(onHost("docker", "inspect", "-f", "{{.State.Running}}", s.container).out.trim(), "true");
        assert.notStrictEqual(run("docker", ["inspect", s.container]).code, 0, "a wrapper of this stack runs on this machine");
        assert.strictEqual(onHost("docker", "image", "inspect", BASE_IMAGE).code, 0, "the base image was not copied there");
        // doctor.sh ran in the wrapper there, so its lines are the second host's.
        assert.match(String(out.hostReport), /^OK\s+kernel/m);
        const r = inWrapper("nerdctl", "run", "--rm", BUSYBOX, "echo", "ok");
        assert.strictEqual(r.out.trim(), "ok", r.out);
    });

    it("the storage folder is on the second host, not on this machine", () => {
        const folder = `/var/lib/nerdctl-dind/${s.name}`;
        assert.strictEqual(s.outputs().storageDir, folder);
        assert.strictEqual(onHost("test", "-d", `${folder}/containerd/io.containerd.content.v1.content`).code, 0);
        assert.strictEqual(onHost("cat", `${folder}/.nerdctl-dind-owner`).out.trim(), `nerdctl-dind/${s.name}`);
        assert.ok(!fs.existsSync(folder), `${folder} exists on this machine`);
        assert.ok(!fs.existsSync(path.join(ROOT, "lib", s.name)), "lib/<stack> exists on this machine");
    });

    it("a port published by an inner container answers on the second host", async () => {
        const r = inWrapper("nerdctl", "run", "-d", "--name", "web", "-p", "8080:80", BUSYBOX,
            "sh", "-c", "echo hello-from-remote > /www/index.html && exec httpd -f -p 80 -h /www");
        assert.strictEqual(r.code, 0, r.out);
        await waitFor("the inner web server on the second host", 30,
            () => onHost("curl", "-fsS", `http://127.0.0.1:${WEB_PORT}/`).out.includes("hello-from-remote"));
        assert.notStrictEqual(run("curl", ["-fsS", "--max-time", "2", `http://127.0.0.1:${WEB_PORT}/`]).code, 0,
            "the port answers on this machine too");
    });

    /** eth0's MTU in an inner container on NET. */
    const innerMtu = (net: string) => inWrapper("nerdctl", "run", "--rm", "--network", net, BUSYBOX, "cat", "/sys/class/net/eth0/mtu").out.trim();
    it("inner networks take the wrapper's MTU (the second host's dockerd runs with --mtu 1400)", () => {
        assert.strictEqual(inWrapper("cat", "/sys/class/net/eth0/mtu").out.trim(), "1400");
        assert.match(String(s.outputs().probe), /^ok: an inner container started on the default network \(MTU 1400\)/);
        assert.strictEqual(inWrapper("nerdctl", "exec", "web", "cat", "/sys/class/net/eth0/mtu").out.trim(), "1400");
        const r = inWrapper("nerdctl", "network", "create", "mtu-net");
        assert.strictEqual(r.code, 0, r.out);
        assert.strictEqual(innerMtu("mtu-net"), "1400");
        inWrapper("nerdctl", "network", "rm", "mtu-net");
    });

    // The network's own file says what nerdctl.sh gave it: the bridge plugin's
    // stand-in would give the container 1400 either way.
    const conflist = (net: string) => inWrapper("cat", `/etc/cni/net.d/nerdctl-${net}.conflist`).out;
    it("a network made with nerdctl's global flags first takes the MTU in its file; one naming its own keeps it", () => {
        for (const [net, args] of [["mtu-g1", ["-n", "default"]], ["mtu-g2", ["--debug", "--namespace=default"]], ["mtu-g3", ["--namespace=default"]]] as const) {
            const r = inWrapper("nerdctl", ...args, "network", "create", ...(net === "mtu-g3" ? ["--opt=mtu=1300"] : []), net);
            assert.strictEqual(r.code, 0, r.out);
            assert.match(conflist(net), net === "mtu-g3" ? /"mtu": 1300,/ : /"mtu": 1400,/, `nerdctl ${args.join(" ")} network create ${net}`);
        }
        assert.deepStrictEqual([innerMtu("mtu-g1"), innerMtu("mtu-g3")], ["1400", "1300"]);
        inWrapper("nerdctl", "network", "rm", "mtu-g1", "mtu-g2", "mtu-g3");
    });

    it("a network nerdctl compose makes (past the shim) takes the MTU at its bridge and in its containers", () => {
        const yaml = ["services:", "  web:", `    image: ${BUSYBOX}`, "    container_name: mtu-compose-web", "    command: sleep 600"];
        const up = inWrapper("sh", "-c", `mkdir -p /tmp/mtu-compose && cd /tmp/mtu-compose && printf '%s\\n' "$@" >compose.yaml && nerdctl compose up -d`,
            "sh", ...yaml);
        assert.strictEqual(up.code, 0, up.out);
        const file = conflist("mtu-compose_default");
        // Compose runs nerdctl by its own path (os.Executable), so its network's file is as nerdctl made it.
        console.log(`      compose's network file ${/"mtu"/.test(file) ? "names an MTU" : "names no MTU"} (made past nerdctl.sh)`);
        const bridge = (JSON.parse(file) as { plugins: { type: string; bridge?: string }[] }).plugins.find((p) => p.type === "bridge")?.bridge;
        assert.strictEqual(inWrapper("nerdctl", "exec", "mtu-compose-web", "cat", "/sys/class/net/eth0/mtu").out.trim(), "1400");
        assert.strictEqual(inWrapper("cat", `/sys/class/net/${bridge ?? "(no bridge in the file)"}/mtu`).out.trim(), "1400", file);
        const down = inWrapper("sh", "-c", "cd /tmp/mtu-compose && nerdctl compose down");
        assert.strictEqual(down.code, 0, down.out);
    });

    it("destroy + up: the image stored on the second host is there again, not streamed again", () => {
        s.destroy();
        assert.notStrictEqual(onHost("docker", "inspect", s.container).code, 0, "the wrapper still exists");
        s.up();
        assert.match(String(s.outputs().prepareReport), /preload summary: loaded=0 present=1/);
        assert.match(inWrapper("nerdctl", "images").out, /busybox\s+ndind/);
    });

    it("a second stack on this machine runs beside it", () => {
        const local = new Stack(`e2e-${id}-l`, { baseImage: BASE_IMAGE });
        try {
            local.up();
            assert.strictEqual(local.outputs().storageDir, local.storage);
            assert.strictEqual(must("docker", ["inspect", "-f", "{{.State.Running}}", local.container]).trim(), "true");
            assert.strictEqual(onHost("docker", "inspect", "-f", "{{.State.Running}}", s.container).out.trim(), "true");
            assert.doesNotMatch(local.exec("nerdctl", "images").out, /busybox/);
        } finally {
            local.remove();
        }
    });

    it("a change of engine previews as a replacement, with the old host's storage kept", () => {
        s.set("dockerHost", "unix:///var/run/docker.sock");
        try {
            const preview = JSON.parse(s.pulumi("preview", "--json", "--diff")) as { steps: { op: string; urn: string }[] };
            const ops = new Map(preview.steps.map((p) => [p.urn.split("::").pop() ?? "", p.op]));
            const seen = JSON.stringify([...ops]);
            for (const step of ["image-build", "wrapper-container", "prepare-run", "verify-run"]) {
                assert.strictEqual(ops.get(`nerdctl-dind-${step}`), "replace", `${step}: ${seen}`);
            }
            // An update makes the new folder and never runs the old one's delete.
            assert.strictEqual(ops.get("nerdctl-dind-storage-folder"), "update", seen);
        } finally {
            s.set("dockerHost", ENGINE);
        }
    });

    it("the same engine over tcp:// with TLS secrets: the wrapper moves, the stored image stays, no key in plain text", () => {
        s.set("dockerHost", TLS_ENGINE);
        for (const [key, file] of TLS_SETTINGS) {
            must("pulumi", ["config", "set", "--secret", "--stack", s.name, key, "--", fs.readFileSync(path.join(dir, "tls", file), "utf8")]);
        }
        s.up();
        assert.match(String(s.outputs().prepareReport), /preload summary: loaded=0 present=1 \(streamed to tcp:/);
        assert.strictEqual(onHost("docker", "inspect", "-f", "{{.State.Running}}", s.container).out.trim(), "true");
        const key = fs.readFileSync(path.join(dir, "tls", "key.pem"), "utf8").split("\n")[1];
        assert.ok(!s.pulumi("stack", "export").includes(key), "the TLS key is in the state");
        assert.ok(!fs.readFileSync(stackFile(s.name), "utf8").includes(key), "the TLS key is in plain text in the stack's config");
    });

    it("a Docker context naming the second host: the wrapper moves again, the stored image stays", () => {
        // Contexts of this test only, not the user's ~/.docker.
        env.DOCKER_CONFIG = path.join(dir, "docker-config");
        must("docker", ["context", "create", `ndind-remote-${id}`, "--docker", `host=${ENGINE}`]);
        must("pulumi", ["config", "rm", "--stack", s.name, "dockerHost"]);
        for (const [key] of TLS_SETTINGS) must("pulumi", ["config", "rm", "--stack", s.name, key]);
        s.set("dockerContext", `ndind-remote-${id}`);
        s.up();
        assert.match(String(s.outputs().prepareReport), new RegExp(`present=1 \\(streamed to Docker context ndind-remote-${id} \\(ssh:`));
        assert.strictEqual(onHost("docker", "inspect", "-f", "{{.State.Running}}", s.container).out.trim(), "true");
    });

    it("the ssh link dropped during up: the next up mends everything", async () => {
        s.destroy();
        must("pulumi", ["config", "rm", "--stack", s.name, "dockerContext"]);
        s.set("dockerHost", ENGINE);
        const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", s.name, "--non-interactive"], { cwd: ROOT, env });
        let out = "";
        child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
        child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
        const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
        await waitFor("the wrapper's creation to start", 300, () => /wrapper-container creating/.test(out));
        // Every sshd of the second host, the connections' too, until none is
        // left (a connection may end by itself meanwhile): the link is gone.
        must("docker", ["exec", HOST, "sh", "-c", "while pids=$(pidof sshd); do kill $pids 2>/dev/null || :; done"]);
        let code: number;
        try {
            code = await exited;
        } finally {
            must("docker", ["exec", HOST, "/usr/sbin/sshd", "-e"]);
        }
        console.log(`      up with the link dropped exited ${code}`);
        assert.notStrictEqual(code, 0, `the up claims success with its link dropped:\n${out}`);
        s.up();
        assert.strictEqual(onHost("docker", "inspect", "-f", "{{.State.Running}}", s.container).out.trim(), "true");
        assert.match(String(s.outputs().imageTable), /busybox\s+ndind/);
    });

    it("make purge: the storage folder and the wrapper image go from the second host", () => {
        const folder = `/var/lib/nerdctl-dind/${s.name}`;
        assert.strictEqual(onHost("test", "-d", folder).code, 0);
        must("make", ["purge", `STACK=${s.name}`]);
        assert.notStrictEqual(onHost("test", "-e", folder).code, 0, `${folder} is still on the second host`);
        assert.notStrictEqual(onHost("docker", "image", "inspect", `nerdctl-dind:${s.name}`).code, 0, "the wrapper image is still there");
        assert.notStrictEqual(onHost("docker", "inspect", s.container).code, 0, "the wrapper is still there");
    });

    describe("refusals, each naming the host", () => {
        let bad: Stack;
        beforeEach(() => { bad = new Stack(`e2e-${id}-rb`, { baseImage: BASE_IMAGE }); });
        afterEach(() => bad.remove());

        const resources = () => JSON.parse(bad.pulumi("stack", "export")).deployment.resources ?? [];
        const cases: [string, () => string, () => RegExp][] = [
            ["an unreachable host", () => `ssh://root@127.0.0.1:${NOTHING_PORT}`,
                () => new RegExp(`ssh://root@127.0.0.1:${NOTHING_PORT} is unreachable: .*Connection refused`)],
            ["ssh that asks for a password", () => `ssh://ann@127.0.0.1:${SSH_PORT}`,
                () => new RegExp(`ssh://ann@127.0.0.1:${SSH_PORT}: ssh would ask for a password`)],
        ];

        it("refuses TLS material stored in plain text at preview", () => {
            bad.set("dockerHost", TLS_ENGINE);
            for (const [key, file] of TLS_SETTINGS) {
                must("pulumi", ["config", "set", "--stack", bad.name, key, "--", fs.readFileSync(path.join(dir, "tls", file), "utf8")]);
            }
            const r = run("pulumi", ["preview", "--stack", bad.name, "--non-interactive"]);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.out, /nerdctl-dind:dockerTlsKey is stored in plain text: set it again with pulumi config set --secret dockerTlsKey/);
            assert.deepStrictEqual(resources(), []);
        });
        for (const [what, host, message] of cases) {
            it(`refuses ${what} at preview, within seconds`, () => {
                bad.set("dockerHost", host());
                const t0 = Date.now();
                const r = run("pulumi", ["preview", "--stack", bad.name, "--non-interactive"]);
                assert.notStrictEqual(r.code, 0);
                assert.match(r.out, message());
                assert.ok(Date.now() - t0 < 60000, "the refusal took a minute");
                assert.deepStrictEqual(resources(), []);
            });
        }

        it("a host whose engine cannot grant the capabilities: up fails naming it, and mends once it can", () => {
            // The second host's dockerd runs runc itself, as Debian ships it
            // (the default runtime is reloaded on SIGHUP; running containers keep theirs).
            const daemonJson = onHost("cat", "/etc/docker/daemon.json").out;
            const reload = (json: string) => must("docker", ["exec", HOST, "sh", "-c",
                `printf '%s\\n' '${json}' >/etc/docker/daemon.json && kill -HUP $(pidof dockerd)`]);
            bad.set("dockerHost", ENGINE);
            reload('{"runtimes":{"capfilter":{"path":"/usr/local/bin/runc-capfilter"}},"default-runtime":"runc"}');
            try {
                const r = run("pulumi", ["up", "--yes", "--skip-preview", "--stack", bad.name, "--non-interactive"]);
                assert.notStrictEqual(r.code, 0);
                assert.match(r.out, new RegExp(`on ${ENGINE.replace(/\//g, "\\/")}: .*\\n?.*`));
                assert.match(r.out, /unable to apply caps/);
                assert.match(r.out, /that engine cannot grant --privileged containers every capability/);
            } finally {
                reload(daemonJson.trim());
            }
            bad.up();
            assert.strictEqual(onHost("docker", "inspect", "-f", "{{.State.Running}}", bad.container).out.trim(), "true");
        });
    });
});
