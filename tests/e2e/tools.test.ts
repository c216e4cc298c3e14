// make logs, make status and pulumi by hand, for real (issue 17).
//   logs: a stack with a registry password and a proxy with a password (a
//         real proxy, which the wrapper must reach), one of them also
//         written into a wrapper log as a daemon might; the archive, every
//         file unpacked, holds neither.
//   status: three stacks (local running, local stopped then drifted, one on
//         a second Docker host over ssh, whose host is then stopped).
//   env: a shell with no pulumi on its PATH runs the README's pulumi lines
//         after eval "$(make env)".
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALPINE_BASE, BUSYBOX, BUSYBOX_TAR, env, must, requirePrerequisites, ROOT, run, Stack, stackFile, waitFor } from "./harness";

const id = process.pid.toString(36);
const TESTKIT = "nerdctl-dind/testkit:bookworm";
const PASSWORD = `pw-${id}-Zq7x`;
const PROXY_PASSWORD = `proxy-${id}-K3v9`;
// This file's host ports: 18720 (a's web port), 18750 (the second host's sshd).
const WEB_PORT = "18720";
const SSH_PORT = "18750";
const REMOTE = `tools-e2e-${id}-host`;

function make(...args: string[]): ReturnType<typeof run> {
    return run("make", ["-s", "--no-print-directory", ...args]);
}

/** The block make status printed for STACK. */
function block(out: string, stack: string): string {
    const b = out.split("\n\n").find((p) => p.trim().startsWith(stack));
    assert.ok(b, `make status printed no block for ${stack}:\n${out}`);
    return b;
}

describe("make logs, make status, pulumi by hand (end to end)", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-tools-"));
    const path0 = env.PATH;
    let proxy = "";
    let a: Stack;
    let b: Stack;
    let r: Stack;

    before(() => {
        requirePrerequisites();
        if (run("docker", ["image", "inspect", TESTKIT]).code !== 0) throw new Error(`no ${TESTKIT} image (run make toolchain)`);
        proxy = `tools-e2e-${id}-proxy`;
        run("docker", ["rm", "-f", proxy]);
        must("docker", ["run", "-d", "--name", proxy, "-e", `PW=${PROXY_PASSWORD}`, "--entrypoint", "sh", TESTKIT, "-c",
            'printf "Port 8888\\nListen 0.0.0.0\\nTimeout 60\\nBasicAuth bob %s\\n" "$PW" >/tmp/tinyproxy.conf && exec tinyproxy -d -c /tmp/tinyproxy.conf']);
        const proxyIp = must("docker", ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", proxy]).trim();
        a = new Stack(`tools-e2e-${id}-a`, { baseImage: ALPINE_BASE, preload: [BUSYBOX_TAR], ports: [`${WEB_PORT}:8080`] });
        must("pulumi", ["config", "set", "--stack", a.name, "--path", 'registryAuth["registry.lan:5000"].username', "ann"]);
        must("pulumi", ["config", "set", "--stack", a.name, "--path", "--secret", 'registryAuth["registry.lan:5000"].password', PASSWORD]);
        must("pulumi", ["config", "set", "--stack", a.name, "--secret", "httpProxy", `http://bob:${PROXY_PASSWORD}@${proxyIp}:8888`]);
        a.up();
    });
    after(() => {
        for (const s of [a, b, r]) s?.remove();
        env.PATH = path0;
        run("docker", ["rm", "-f", proxy]);
        run("sh", ["tests/remote/host.sh", "down", REMOTE]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("make logs: one archive of every log, rule dump and report; neither password in any file", () => {
        // The wrapper holds both secrets (nerdctl's login, the daemons' proxy): the archive must leave those files out.
        assert.match(a.exec("cat", "/root/.docker/config.json").out, new RegExp(Buffer.from(`ann:${PASSWORD}`).toString("base64")));
        assert.match(a.exec("cat", "/etc/nerdctl-dind/proxy.env").out, new RegExp(PROXY_PASSWORD));
        // A daemon that logs its proxy URL, as some do on errors: the scan must catch it.
        a.exec("sh", "-c", `echo "proxyconnect failed via http://bob:${PROXY_PASSWORD}@proxy:8888" >>/var/log/containerd.log`);
        const res = make("logs", `STACK=${a.name}`);
        assert.strictEqual(res.code, 0, res.out);
        assert.match(res.out, /redacted in wrapper\/var-log\/containerd\.log: nerdctl-dind:httpProxy \(its password\)/);
        const archive = res.out.trim().split("\n").filter((l) => l.endsWith(".tar.gz")).pop() ?? "";
        assert.ok(archive.startsWith(path.join(ROOT, "logs") + "/") && fs.existsSync(archive), `no archive path printed:\n${res.out}`);
        const unpacked = fs.mkdtempSync(path.join(dir, "logs-"));
        try {
            must("tar", ["-C", unpacked, "-xzf", archive]);
            const files = must("find", [unpacked, "-type", "f"]).trim().split("\n").map((f) => path.relative(unpacked, f).replace(/^[^/]*\//, "")).sort();
            console.log(`      ${archive}: ${files.length} files\n${files.map((f) => `        ${f}`).join("\n")}`);
            for (const want of ["wrapper/docker-logs.txt", "wrapper/docker-inspect.json", "wrapper/var-log/containerd.log", "wrapper/var-log/buildkitd.log",
                "wrapper/var-log/probe.log", "wrapper/nerdctl-info.txt", "wrapper/versions.txt", "wrapper/etc/cni-net.d/nerdctl-bridge.conflist",
                "wrapper/rules/iptables-legacy.txt", "wrapper/rules/iptables-nft.txt", "wrapper/rules/nft-ruleset.txt", "wrapper/host-report.txt",
                "wrapper/run/iptables-backend", "last-up/prepareReport.txt", "last-up/registriesReport.txt", "stack-config.json", "stack-outputs.json"]) {
                assert.ok(files.includes(want), `the archive lacks ${want}`);
            }
            assert.match(fs.readFileSync(path.join(unpacked, fs.readdirSync(unpacked)[0], "wrapper", "versions.txt"), "utf8"), /containerd github\.com\/containerd\/containerd v1\.7\.2/);
            const secrets = [PASSWORD, PROXY_PASSWORD, Buffer.from(`ann:${PASSWORD}`).toString("base64")];
            const grep = run("grep", ["-r", "-l", "-a", "-F", ...secrets.flatMap((s) => ["-e", s]), unpacked]);
            console.log(`      grep -r -F for the three secret values in the unpacked archive: exit ${grep.code}, ${grep.out.trim() ? grep.out.trim() : "no file"}`);
            assert.strictEqual(grep.code, 1, `a secret is in the archive:\n${grep.out}`);
        } finally {
            fs.rmSync(unpacked, { recursive: true, force: true });
            fs.rmSync(archive, { force: true });
        }
    });

    it("make status: a running local stack, a stopped one, one on a second Docker host over ssh", async () => {
        b = new Stack(`tools-e2e-${id}-b`, { baseImage: ALPINE_BASE });
        b.up();
        must("docker", ["stop", b.container]);
        const host = run("sh", ["tests/remote/host.sh", "up", REMOTE, SSH_PORT, dir]);
        assert.strictEqual(host.code, 0, host.out);
        env.PATH = `${path.join(dir, "bin")}:${path0}`; // docker's ssh transport runs this ssh, with the test's key
        r = new Stack(`tools-e2e-${id}-r`, { baseImage: ALPINE_BASE, dockerHost: `ssh://root@127.0.0.1:${SSH_PORT}` });
        r.up();
        // Docker's first health check comes 5 s after the start; status reports what Docker says.
        await waitFor("the remote wrapper healthy", 60, () =>
            run("docker", ["-H", `ssh://root@127.0.0.1:${SSH_PORT}`, "inspect", "-f", "{{.State.Health.Status}}", r.container]).out.trim() === "healthy");
        const st = make("status");
        console.log(st.out.split("\n").map((l) => `      ${l}`).join("\n"));
        assert.strictEqual(st.code, 0, st.out);
        const ba = block(st.out, a.name);
        assert.match(ba, /engine {4}local/);
        assert.match(ba, /plugins {3}ndind; base nerdctl-dind\/base:alpine-3\.23/);
        assert.match(ba, /versions {2}containerd 1\.7\.2, runc 1\.1\.7, CNI plugins 1\.3\.0, nerdctl 1\.5\.0/);
        assert.match(ba, new RegExp(`wrapper {3}${a.container}: running, healthy`));
        assert.match(ba, new RegExp(`ports {5}127\\.0\\.0\\.1:${WEB_PORT}->8080/tcp`));
        assert.match(ba, new RegExp(`storage {3}${a.storage}: [\\d.]+ (KiB|MiB|GiB)`));
        assert.match(ba, /images {4}1 \(nerdctl images\)/);
        assert.match(block(st.out, b.name), /wrapper {3}\S+: stopped \(exit \d+; docker start/);
        const br = block(st.out, r.name);
        assert.match(br, new RegExp(`engine {4}ssh://root@127\\.0\\.0\\.1:${SSH_PORT}\\n`));
        assert.match(br, new RegExp(`wrapper {3}${r.container}: running, healthy`));
        assert.match(br, /storage {3}\/var\/lib\/nerdctl-dind\/\S+: [\d.]+ (KiB|MiB|GiB)/);
    });

    it("make status: a wrapper replaced behind Pulumi's back is drifted; a second host that stopped is named unreachable, in seconds", () => {
        must("docker", ["rm", "-f", b.container]);
        must("docker", ["run", "-d", "--name", b.container, BUSYBOX, "sleep", "1d"]);
        must("docker", ["stop", REMOTE]);
        const t0 = Date.now();
        const st = make("status");
        const seconds = (Date.now() - t0) / 1000;
        console.log(st.out.split("\n").map((l) => `      ${l}`).join("\n"));
        console.log(`      make status took ${seconds.toFixed(1)} s with one engine down`);
        assert.strictEqual(st.code, 0, st.out);
        assert.match(block(st.out, b.name), /drifted from the state: another container under its name \(\w{12}; the state's: \w{12}\); image \w{12}, the state's is \w{12}/);
        assert.match(block(st.out, r.name), new RegExp(`engine {4}ssh://root@127\\.0\\.0\\.1:${SSH_PORT}: unreachable`));
        assert.match(block(st.out, r.name), /wrapper {3}unknown: the engine did not answer/);
        assert.match(block(st.out, a.name), /running, healthy/);
        assert.ok(seconds < 40, `make status took ${seconds} s`);
        run("docker", ["rm", "-f", b.container]);
    });

    it("pulumi by hand: a shell without pulumi on its PATH runs the README's pulumi lines after eval \"$(make env)\"", () => {
        const name = `tools-e2e-${id}-hand`;
        // Only what a login shell has; the backend stays this run's (set by the user, so the Makefile keeps it).
        const shell = { HOME: os.homedir(), PATH: "/usr/local/bin:/usr/bin:/bin", PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL ?? "" };
        const script = `command -v pulumi >/dev/null && { echo "pulumi was on the PATH already"; exit 1; }
            eval "$(make -s --no-print-directory env)"
            set -e
            [ -r "$PULUMI_CONFIG_PASSPHRASE_FILE" ] || { echo "no passphrase file $PULUMI_CONFIG_PASSPHRASE_FILE: run make toolchain"; exit 1; }
            pulumi stack init ${name} --non-interactive
            pulumi config set --stack ${name} --path 'ports[0]' 8080:8080
            pulumi config set --stack ${name} --secret httpsProxy http://user:password@proxy.corp:3128
            pulumi config --stack ${name} --show-secrets --json`;
        try {
            const res = spawnSync("sh", ["-c", script], { cwd: ROOT, env: shell, encoding: "utf8" });
            assert.strictEqual(res.status, 0, `${res.stdout}${res.stderr}`);
            const config = JSON.parse(res.stdout.slice(res.stdout.indexOf("{"))) as Record<string, { value?: string }>;
            assert.strictEqual(config["nerdctl-dind:httpsProxy"].value, "http://user:password@proxy.corp:3128");
            assert.strictEqual(config["nerdctl-dind:ports"].value, '["8080:8080"]');
        } finally {
            run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", name, "--non-interactive"]);
            run("rm", ["-f", stackFile(name)]);
        }
    });
});
