// Images in, for real: host images copied into a stack, a registry mirror for
// docker.io, a registry that wants a login, an HTTP proxy with a password,
// and the shared local registry. Every registry and proxy is a container of
// this test (Debian's docker-registry and tinyproxy, image built by the
// toolchain); each check reads the registry's or the proxy's own access log.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BASE_IMAGE, BUSYBOX, must, PROVIDER, requirePrerequisites, run, Stack, stackFile } from "./harness";
import { PluginSet } from "../../components/plugins/kinds";
import { TWIN_TYPES } from "../../components/plugins/twins";

const TYPES = { command: TWIN_TYPES.command[PROVIDER as PluginSet], container: TWIN_TYPES.container[PROVIDER as PluginSet] };

const id = process.pid.toString(36);
const TESTKIT = "nerdctl-dind/testkit:bookworm";
const PASSWORD = `pw-${id}-Zq7x`;
const PROXY_PASSWORD = `proxy-${id}-K3v9`;
// Host ports from this test's range, published on 127.0.0.1 only.
const MIRROR_PORT = 15101;
const AUTH_PORT = 15102;
const TLS_PORT = 15103;
const LOCAL_PORT = 15110;

/** A container of this test; removed at the end. */
class Service {
    readonly name: string;
    ip = "";

    constructor(role: string, readonly args: string[]) {
        this.name = `ndind-e2e-${id}-${role}`;
        run("docker", ["rm", "-f", this.name]);
        must("docker", ["run", "-d", "--name", this.name, ...args]);
        this.ip = must("docker", ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", this.name]).trim();
    }

    log(): string {
        return run("docker", ["logs", this.name]).out;
    }

    /** The access-log lines matching re; fails unless there is one, and prints them for the record. */
    matched(re: RegExp, what: string): string[] {
        const lines = this.log().split("\n").filter((l) => re.test(l));
        assert.ok(lines.length > 0, `${what}: no line of ${this.name}'s log matches ${re}:\n${this.log().slice(-3000)}`);
        console.log(`      ${this.name} log: ${lines[lines.length - 1].trim()}`);
        return lines;
    }

    remove(): void {
        run("docker", ["rm", "-f", this.name]);
    }
}

function registry(role: string, port: number): Service {
    return new Service(role, ["-p", `127.0.0.1:${port}:5000`, TESTKIT]);
}

function waitHttp(url: string): void {
    must("sh", ["-c", `for i in $(seq 100); do curl -s -o /dev/null ${url} && exit 0; sleep 0.1; done; exit 1`]);
}

/** docker push of busybox:ndind as REF, with a docker config of its own (never the host user's). */
function push(ref: string, login?: { port: number; user: string; password: string }): void {
    const config = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-docker-"));
    try {
        if (login) must("docker", ["--config", config, "login", `127.0.0.1:${login.port}`, "-u", login.user, "--password-stdin"], login.password);
        must("docker", ["tag", BUSYBOX, ref]);
        must("docker", ["--config", config, "push", ref]);
    } finally {
        run("docker", ["rmi", ref]);
        fs.rmSync(config, { recursive: true, force: true });
    }
}

function configSet(s: Stack, key: string, value: string, secret = false): void {
    must("pulumi", ["config", "set", "--stack", s.name, "--path", ...(secret ? ["--secret"] : []), key, value]);
}

function wrapperId(s: Stack): string {
    return must("docker", ["inspect", "-f", "{{.Id}}", s.container]).trim();
}

describe("registries, mirrors, proxies, host images (end to end)", function () {
    let s: Stack;
    let mirror: Service;
    let auth: Service;
    let proxy: Service;
    let tls: Service;
    const certs = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-certs-"));
    const upLogs: string[] = [];
    const up = () => { const out = s.up(); upLogs.push(out); return out; };

    before(() => {
        requirePrerequisites();
        if (run("docker", ["image", "inspect", TESTKIT]).code !== 0) throw new Error(`no ${TESTKIT} image (run make toolchain)`);
        mirror = registry("mirror", MIRROR_PORT);
        // The htpasswd file is made inside, by Debian's apache2-utils, before the registry starts.
        auth = new Service("auth", ["-p", `127.0.0.1:${AUTH_PORT}:5000`, "-e", "REGISTRY_AUTH=htpasswd", "-e", "REGISTRY_AUTH_HTPASSWD_REALM=ndind",
            "-e", "REGISTRY_AUTH_HTPASSWD_PATH=/tmp/htpasswd", "-e", `PW=${PASSWORD}`, "--entrypoint", "sh", TESTKIT, "-c",
            'htpasswd -Bbn ann "$PW" >/tmp/htpasswd && exec docker-registry serve /etc/docker/registry/config.yml']);
        proxy = new Service("proxy", ["-e", `PW=${PROXY_PASSWORD}`, "--entrypoint", "sh", TESTKIT, "-c",
            'printf "Port 8888\\nListen 0.0.0.0\\nTimeout 60\\nLogLevel Info\\nMaxClients 20\\nBasicAuth bob %s\\n" "$PW" >/tmp/tinyproxy.conf && exec tinyproxy -d -c /tmp/tinyproxy.conf']);
        // A registry with a certificate of its own CA: it waits for the certificate, made once its address is known.
        tls = new Service("tls", ["-p", `127.0.0.1:${TLS_PORT}:5000`, "-v", `${certs}:/certs:ro`,
            "-e", "REGISTRY_HTTP_TLS_CERTIFICATE=/certs/cert.pem", "-e", "REGISTRY_HTTP_TLS_KEY=/certs/key.pem", "--entrypoint", "sh", TESTKIT, "-c",
            "until [ -s /certs/key.pem ]; do sleep 0.1; done; exec docker-registry serve /etc/docker/registry/config.yml"]);
        must("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=ndind-e2e-ca",
            "-addext", `subjectAltName=IP:${tls.ip}`, "-keyout", path.join(certs, "key.tmp"), "-out", path.join(certs, "cert.pem")]);
        fs.renameSync(path.join(certs, "key.tmp"), path.join(certs, "key.pem"));
        waitHttp(`-k https://127.0.0.1:${TLS_PORT}/v2/`);
        push(`127.0.0.1:${TLS_PORT}/library/busybox:tls`);
        waitHttp(`http://127.0.0.1:${MIRROR_PORT}/v2/`);
        waitHttp(`http://127.0.0.1:${AUTH_PORT}/v2/`);
        push(`127.0.0.1:${MIRROR_PORT}/library/busybox:mirrored`);
        push(`127.0.0.1:${MIRROR_PORT}/library/busybox:proxied`);
        push(`127.0.0.1:${AUTH_PORT}/private/busybox:ndind`, { port: AUTH_PORT, user: "ann", password: PASSWORD });
        s = new Stack(`e2e-${id}-reg`, { baseImage: BASE_IMAGE, hostImages: [BUSYBOX] });
    });
    after(() => {
        s?.remove();
        for (const c of [mirror, auth, proxy, tls]) c?.remove();
        fs.rmSync(certs, { recursive: true, force: true });
    });

    it("hostImages: the stack comes up with the host's busybox listed by nerdctl images", () => {
        up();
        const out = s.outputs();
        assert.match(String(out.imageTable), /busybox\s+ndind/);
        assert.match(s.exec("nerdctl", "images").out, /busybox\s+ndind/);
        const r = s.exec("nerdctl", "run", "--rm", BUSYBOX, "echo", "loaded");
        assert.strictEqual(r.out.trim(), "loaded", r.out);
    });

    it("make load skips an image already there with the same ID, and loads a new one", () => {
        const again = must("make", ["-s", "load", `IMAGE=${BUSYBOX}`, `STACK=${s.name}`]);
        assert.match(again, /host image busybox:ndind: present in .* with the same ID [0-9a-f]{64}, not loaded again/);
        const tag = `ndind-e2e-${id}/extra:1`;
        must("docker", ["tag", BUSYBOX, tag]);
        try {
            const out = must("make", ["-s", "load", `IMAGE=${tag}`, `STACK=${s.name}`]);
            assert.match(out, /loading into .*\n(.|\n)*host images summary: loaded=1 present=0/);
            assert.match(s.exec("nerdctl", "images").out, new RegExp(`ndind-e2e-${id}/extra\\s+1`));
        } finally {
            run("docker", ["rmi", tag]);
        }
        const r = run("make", ["-s", "load", "IMAGE=no-such-image:1", `STACK=${s.name}`]);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.out, /host image no-such-image:1: not on the local Docker engine/);
    });

    it("a mirror for docker.io: preview shows an in-place update, the wrapper and its containers stay, the mirror serves the pull", () => {
        const before = wrapperId(s);
        must("docker", ["exec", s.container, "nerdctl", "run", "-d", "--name", "keeper", BUSYBOX, "sleep", "3600"]);
        configSet(s, 'registryMirrors["docker.io"].endpoints[0]', `http://${mirror.ip}:5000`);
        const preview = s.pulumi("preview", "--diff");
        const { command, container } = TYPES;
        assert.match(preview, new RegExp(`~ ${command}: \\(update\\)[\\s\\S]*nerdctl-dind-registries-configure[\\s\\S]*docker\\.io\\/hosts\\.toml`), preview);
        assert.doesNotMatch(preview, new RegExp(`wrapper-container[^\\n]*replace|\\+- ${container}`), preview);
        up();
        assert.strictEqual(wrapperId(s), before, "the wrapper was replaced");
        const hosts = s.exec("cat", "/etc/containerd/certs.d/docker.io/hosts.toml").out;
        assert.match(hosts, new RegExp(`\\[host\\."http://${mirror.ip}:5000"\\]`));
        const r = s.exec("nerdctl", "pull", "docker.io/library/busybox:mirrored");
        assert.strictEqual(r.code, 0, r.out);
        // ?ns=docker.io: containerd asked the mirror on docker.io's behalf.
        mirror.matched(/"(HEAD|GET) \/v2\/library\/busybox\/manifests\/mirrored\?ns=docker\.io HTTP\/1\.1" 200/, "the mirror served the manifest");
        assert.strictEqual(s.exec("nerdctl", "inspect", "-f", "{{.State.Status}}", "keeper").out.trim(), "running");
    });

    it("an htpasswd registry refuses the pull without the credential and serves it with", () => {
        configSet(s, "insecureRegistries[0]", `${auth.ip}:5000`);
        configSet(s, "insecureRegistries[1]", `${mirror.ip}:5000`);
        up();
        const ref = `${auth.ip}:5000/private/busybox:ndind`;
        const denied = s.exec("nerdctl", "pull", ref);
        assert.notStrictEqual(denied.code, 0, denied.out);
        assert.match(denied.out, /401|unauthorized/i);
        auth.matched(/"(GET|HEAD) \/v2\/private\/busybox\/manifests\/ndind HTTP\/1.1" 401/, "the registry refused the anonymous pull");
        configSet(s, 'registryAuth["' + `${auth.ip}:5000` + '"].username', "ann");
        configSet(s, 'registryAuth["' + `${auth.ip}:5000` + '"].password', PASSWORD, true);
        const preview = s.pulumi("preview", "--diff");
        assert.ok(!preview.includes(PASSWORD), "the password shows in the preview");
        up();
        const ok = s.exec("nerdctl", "pull", ref);
        assert.strictEqual(ok.code, 0, ok.out);
        auth.matched(/"(HEAD|GET) \/v2\/private\/busybox\/manifests\/ndind HTTP\/1.1" 200/, "the registry served the pull with the credential");
    });

    it("registryCA: a registry with a certificate of that CA is trusted, and refused without it", () => {
        const ref = `${tls.ip}:5000/library/busybox:tls`;
        const untrusted = s.exec("nerdctl", "pull", ref);
        assert.notStrictEqual(untrusted.code, 0, untrusted.out);
        assert.match(untrusted.out, /x509|certificate/i);
        must("pulumi", ["config", "set", "--stack", s.name, "registryCA", "--", fs.readFileSync(path.join(certs, "cert.pem"), "utf8")]);
        up();
        assert.match(String(s.outputs().registriesReport), /registryCA: system trust store updated/);
        const ok = s.exec("nerdctl", "pull", ref);
        assert.strictEqual(ok.code, 0, ok.out);
        tls.matched(/"(HEAD|GET) \/v2\/library\/busybox\/manifests\/tls HTTP\/1.1" 200 .*containerd/, "the TLS registry served the pull");
    });

    it("an HTTP proxy with a password: containerd restarts, inner containers keep running, nerdctl pulls through it", () => {
        const pid = s.exec("cat", "/run/nerdctl-dind/containerd.pid").out.trim();
        configSet(s, "httpProxy", `http://bob:${PROXY_PASSWORD}@${proxy.ip}:8888`, true);
        up();
        assert.match(String(s.outputs().registriesReport), new RegExp(`proxy settings changed: containerd restarted \\(pid ${pid} -> \\d+\\)`));
        assert.strictEqual(s.exec("nerdctl", "inspect", "-f", "{{.State.Status}}", "keeper").out.trim(), "running");
        const r = s.exec("nerdctl", "pull", `${mirror.ip}:5000/library/busybox:proxied`);
        assert.strictEqual(r.code, 0, r.out);
        proxy.matched(new RegExp(`(HEAD|GET) http://${mirror.ip.replace(/\./g, "\\.")}:5000/v2/library/busybox/manifests/proxied`), "the proxy carried the pull");
        mirror.matched(/"(HEAD|GET) \/v2\/library\/busybox\/manifests\/proxied HTTP\/1.1" 200/, "the registry behind the proxy served it");
        const env = s.exec("sh", "-c", "cat /proc/$(cat /run/nerdctl-dind/containerd.pid)/environ | tr '\\0' '\\n' | grep -c HTTP_PROXY=").out.trim();
        assert.strictEqual(env, "1", "containerd does not run with HTTP_PROXY");
    });

    it("the password and the proxy credential never appear in the state, the outputs or the logs", () => {
        const exported = s.pulumi("stack", "export");
        const outputs = s.pulumi("stack", "output", "--json");
        const yaml = fs.readFileSync(stackFile(s.name), "utf8");
        const b64 = Buffer.from(`ann:${PASSWORD}`).toString("base64");
        for (const [where, text] of [["stack export", exported], ["outputs", outputs], ["up logs", upLogs.join("\n")], [`stacks/Pulumi.${s.name}.yaml`, yaml]]) {
            for (const secret of [PASSWORD, PROXY_PASSWORD, b64]) {
                assert.ok(!text.includes(secret), `${where} contains a secret`);
            }
        }
        assert.match(exported, /"ciphertext":/, "the export holds no encrypted secret at all");
    });

    it("an unreachable mirror is a clear error from prepare naming the setting; the stored settings stay", () => {
        configSet(s, 'registryMirrors["quay.io"].endpoints[0]', "http://127.0.0.1:1");
        const r = run("pulumi", ["up", "--yes", "--skip-preview", "--stack", s.name, "--non-interactive"]);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.out, /nerdctl-dind:registryMirrors\["quay.io"\]\.endpoints\[0\] \(http:\/\/127\.0\.0\.1:1\) is unreachable from the wrapper/);
        assert.match(s.exec("cat", "/etc/containerd/certs.d/docker.io/hosts.toml").out, new RegExp(mirror.ip.replace(/\./g, "\\.")));
        assert.notStrictEqual(s.exec("test", "-e", "/etc/containerd/certs.d/quay.io/hosts.toml").code, 0);
        must("pulumi", ["config", "rm", "--stack", s.name, "--path", 'registryMirrors["quay.io"]']);
        up();
    });

    it("bad input is refused at preview, naming the setting", () => {
        configSet(s, 'registryMirrors["docker.io"].endpoints[1]', "mirror.example.com:5000");
        try {
            const r = run("pulumi", ["preview", "--stack", s.name, "--non-interactive"]);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.out, /nerdctl-dind:registryMirrors\["docker.io"\]\.endpoints\[1\] is "mirror.example.com:5000": scheme mirror.example.com: is not one of/);
        } finally {
            must("pulumi", ["config", "rm", "--stack", s.name, "--path", 'registryMirrors["docker.io"].endpoints[1]']);
        }
    });
});

describe("the shared local registry (end to end)", function () {
    let a: Stack;
    let b: Stack;
    let started = false;
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-registry-"));
    const registryLog = () => run("docker", ["logs", "nerdctl-dind-registry"]).out;
    const matched = (re: RegExp, what: string) => {
        const lines = registryLog().split("\n").filter((l) => re.test(l));
        assert.ok(lines.length > 0, `${what}: no line of the registry's log matches ${re}`);
        console.log(`      nerdctl-dind-registry log: ${lines[lines.length - 1].trim()}`);
    };

    before(() => {
        requirePrerequisites();
        if (run("docker", ["inspect", "nerdctl-dind-registry"]).code === 0) {
            throw new Error("a local registry nerdctl-dind-registry already runs on this engine; this test starts its own (make registry-stop first)");
        }
        const out = must("sh", ["-c", `REGISTRY_PORT=${LOCAL_PORT} REGISTRY_DIR=${data} sh toolchain/local-registry.sh start`]);
        started = true;
        assert.match(out, /local registry ready: host: localhost:15110/);
        const config = { baseImage: BASE_IMAGE, hostImages: [BUSYBOX], localRegistry: "true", localRegistryPort: String(LOCAL_PORT) };
        a = new Stack(`e2e-${id}-la`, config);
        b = new Stack(`e2e-${id}-lb`, config);
        a.up();
        b.up();
    });
    after(() => {
        a?.remove();
        b?.remove();
        if (started) run("sh", ["toolchain/local-registry.sh", "stop"]);
        fs.rmSync(data, { recursive: true, force: true });
    });

    it("docker push localhost:PORT/x on the host, then nerdctl pull of the same name in a stack", () => {
        push(`localhost:${LOCAL_PORT}/host/busybox:h`);
        const r = a.exec("nerdctl", "pull", `localhost:${LOCAL_PORT}/host/busybox:h`);
        assert.strictEqual(r.code, 0, r.out);
        // ?ns=localhost:PORT: asked on behalf of the host's name for it.
        matched(new RegExp(`"(HEAD|GET) /v2/host/busybox/manifests/h\\?ns=localhost(%3A|:)${LOCAL_PORT} HTTP/1.1" 200`), "the registry served the stack's pull");
    });

    it("nerdctl push from one stack, pull from another, by either name", () => {
        must("docker", ["exec", a.container, "nerdctl", "tag", BUSYBOX, `localhost:${LOCAL_PORT}/shared/busybox:a`]);
        const pushed = a.exec("nerdctl", "push", `localhost:${LOCAL_PORT}/shared/busybox:a`);
        assert.strictEqual(pushed.code, 0, pushed.out);
        matched(/"PUT \/v2\/shared\/busybox\/manifests\/a HTTP\/1.1" 201/, "the registry took the push");
        for (const ref of [`localhost:${LOCAL_PORT}/shared/busybox:a`, "ndind-registry:5000/shared/busybox:a"]) {
            const r = b.exec("nerdctl", "pull", ref);
            assert.strictEqual(r.code, 0, `${ref}: ${r.out}`);
        }
        const ran = b.exec("nerdctl", "run", "--rm", `localhost:${LOCAL_PORT}/shared/busybox:a`, "echo", "from a");
        assert.strictEqual(ran.out.split("\n")[0], "from a", ran.out);
    });

    it("an inner container reaches it through the wrapper, by the name the wrapper resolves", () => {
        // nerdctl gives inner containers no resolver for Docker's names, so the wrapper resolves it for them.
        const r = a.exec("sh", "-c", "nerdctl run --rm --add-host ndind-registry:$(getent hosts ndind-registry | cut -d' ' -f1) " +
            `${BUSYBOX} wget -qO- http://ndind-registry:5000/v2/_catalog 2>/dev/null`);
        assert.match(r.out, /"repositories":\[.*"shared\/busybox"/, r.out);
        matched(/"GET \/v2\/_catalog HTTP\/1.1" 200 .*Wget/, "the registry answered the inner container");
    });

    it("the registry's storage outlives it", () => {
        must("sh", ["toolchain/local-registry.sh", "stop"]);
        must("sh", ["-c", `REGISTRY_PORT=${LOCAL_PORT} REGISTRY_DIR=${data} sh toolchain/local-registry.sh start`]);
        const r = must("curl", ["-s", `http://127.0.0.1:${LOCAL_PORT}/v2/_catalog`]);
        assert.match(r, /shared\/busybox/);
        assert.match(r, /host\/busybox/);
    });
});
