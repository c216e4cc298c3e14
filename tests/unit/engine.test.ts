// Remote engines: the settings that name one, and how a probe's answer
// becomes a message. No engine, no ssh: the lookups are given.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RawSettings } from "../../components/settings/catalog";
import { Settings, SettingsError } from "../../components/settings/types";
import { Lookups, parseSettings } from "../../components/settings/validate";
import { apiOlder, archOf, engineEnv, machineArch, probeVerdict, sshProbeArgs, writeTls } from "../../components/engine";
import { PROJECT_ROOT, stackDefaults } from "./mocks";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
const TLS_KEYS = ["nerdctl-dind:dockerTlsCa", "nerdctl-dind:dockerTlsCert", "nerdctl-dind:dockerTlsKey"];
const contexts: Lookups = {
    contextEndpoint: (name) => ({ team: "ssh://dev@build1", here: "unix:///var/run/docker.sock" } as Record<string, string>)[name],
};

function parse(overrides: RawSettings): Settings {
    return parseSettings({ ...stackDefaults(), ...overrides }, "nerdctl-dind", "dev", PROJECT_ROOT, contexts);
}

function problemsOf(overrides: RawSettings): string[] {
    try {
        parse(overrides);
    } catch (e) {
        assert.ok(e instanceof SettingsError, `expected SettingsError, got ${e}`);
        return e.problems;
    }
    return [];
}

describe("remote engines: settings", () => {
    it("an ssh engine: remote, storage defaults to /var/lib/nerdctl-dind/<stack> on that host", () => {
        const s = parse({ dockerHost: "ssh://root@127.0.0.1:16022" });
        assert.deepStrictEqual(s.engine, { ref: { dockerHost: "ssh://root@127.0.0.1:16022" }, remote: true, name: "ssh://root@127.0.0.1:16022", arch: machineArch() });
        assert.strictEqual(s.storageDir, "/var/lib/nerdctl-dind/dev");
    });

    it("a remote storage folder is not looked for on this machine", () => {
        const s = parse({ dockerHost: "ssh://build1", storageDir: "/srv/ndind/dev/" });
        assert.strictEqual(s.storageDir, "/srv/ndind/dev");
    });

    it("the local engine and unix sockets stay local", () => {
        assert.strictEqual(parse({}).engine.remote, false);
        assert.strictEqual(parse({ dockerHost: "unix:///run/docker.sock" }).engine.remote, false);
        assert.strictEqual(parse({ dockerContext: "here" }).engine.remote, false);
    });

    it("a Docker context: remote when its endpoint is", () => {
        const s = parse({ dockerContext: "team" });
        assert.deepStrictEqual(s.engine, { ref: { dockerContext: "team" }, remote: true, name: "Docker context team (ssh://dev@build1)", arch: machineArch() });
    });

    it("tcp:// with the three TLS secrets", () => {
        const s = parse({ dockerHost: "tcp://build1:2376", dockerTlsCa: PEM, dockerTlsCert: PEM, dockerTlsKey: PEM, secretKeys: TLS_KEYS });
        assert.deepStrictEqual(s.tls, { ca: PEM, cert: PEM, key: PEM });
        assert.strictEqual(s.engine.remote, true);
    });

    it("plain tcp:// only on loopback", () => {
        assert.deepStrictEqual(problemsOf({ dockerHost: "tcp://127.0.0.1:2375" }), []);
    });

    const refused: [string, RawSettings, string][] = [
        ["an ssh address with a bad form", { dockerHost: "ssh://a b" },
            'nerdctl-dind:dockerHost is "ssh://a b": write ssh://[USER@]HOST[:PORT], e.g. ssh://dev@build1.example.com'],
        ["a tcp address without a port", { dockerHost: "tcp://build1" },
            'nerdctl-dind:dockerHost is "tcp://build1": write tcp://HOST:PORT, e.g. tcp://build1.example.com:2376'],
        ["plain tcp:// to another machine", { dockerHost: "tcp://build1:2375" },
            'nerdctl-dind:dockerHost is "tcp://build1:2375": plain tcp:// gives root on that host to anyone who reaches the port; ' +
            "set dockerTlsCa, dockerTlsCert and dockerTlsKey (as secrets), or use ssh://"],
        ["an unknown scheme", { dockerHost: "http://build1" },
            'nerdctl-dind:dockerHost is "http://build1": give ssh://, tcp:// or unix:// followed by the address, or leave it empty'],
        ["both an address and a context", { dockerHost: "ssh://build1", dockerContext: "team" },
            "nerdctl-dind:dockerHost and nerdctl-dind:dockerContext are both set: give one (pulumi config rm the other)"],
        ["a context that does not exist", { dockerContext: "nope" },
            'nerdctl-dind:dockerContext is "nope": no such Docker context here; make it with docker context create, or see docker context ls'],
        ["a context name with a slash", { dockerContext: "a/b" },
            'nerdctl-dind:dockerContext is "a/b": give the name of a Docker context (docker context ls)'],
        ["TLS material for an ssh engine", { dockerHost: "ssh://build1", dockerTlsCa: PEM, secretKeys: TLS_KEYS },
            "nerdctl-dind:dockerTlsCa: TLS material is for a tcp:// dockerHost only; remove it (pulumi config rm) or set dockerHost to tcp://HOST:2376"],
        ["a relative remote storage folder", { dockerHost: "ssh://build1", storageDir: "srv/x" },
            'nerdctl-dind:storageDir is "srv/x": give an absolute folder on ssh://build1, e.g. /var/lib/nerdctl-dind/dev'],
    ];
    for (const [what, overrides, message] of refused) {
        it(`refuses ${what}`, () => assert.deepStrictEqual(problemsOf(overrides), [message]));
    }

    it("refuses TLS material that is incomplete, not PEM, or not a secret, all at once", () => {
        assert.deepStrictEqual(problemsOf({ dockerHost: "tcp://build1:2376", dockerTlsCa: "ca.pem", secretKeys: [] }), [
            'nerdctl-dind:dockerTlsCert, nerdctl-dind:dockerTlsKey not set: give all three, e.g. pulumi config set --secret dockerTlsCert -- "$(cat cert.pem)"',
            'nerdctl-dind:dockerTlsCa is not PEM text (no "-----BEGIN" line): give the file\'s content, not its path',
            'nerdctl-dind:dockerTlsCa is stored in plain text: set it again with pulumi config set --secret dockerTlsCa -- "$(cat ca.pem)"',
        ]);
    });
});

describe("remote engines: environment and probe", () => {
    it("each field becomes the docker CLI's variable", () => {
        assert.deepStrictEqual(engineEnv({}), {});
        assert.deepStrictEqual(engineEnv({ dockerHost: "tcp://h:2376", dockerCertPath: "/c" }),
            { DOCKER_HOST: "tcp://h:2376", DOCKER_CERT_PATH: "/c", DOCKER_TLS_VERIFY: "1" });
        assert.deepStrictEqual(engineEnv({ dockerContext: "team" }), { DOCKER_CONTEXT: "team" });
    });

    it("TLS material goes to a folder only this user reads", () => {
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-tls-"));
        const dir = writeTls(cache, "p", "s", { ca: PEM, cert: PEM, key: PEM });
        assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700);
        assert.strictEqual(fs.statSync(path.join(dir, "key.pem")).mode & 0o777, 0o600);
        assert.strictEqual(fs.readFileSync(path.join(dir, "ca.pem"), "utf8"), `${PEM}\n`);
    });

    it("the ssh probe never asks (BatchMode) and runs what docker's transport runs", () => {
        assert.deepStrictEqual(sshProbeArgs("ssh://root@127.0.0.1:16022"), [
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=8", "-T", "-l", "root", "-p", "16022",
            "--", "127.0.0.1", "docker", "version", "--format", "{{.Server.APIVersion}}/{{.Server.Arch}}"]);
        assert.deepStrictEqual(sshProbeArgs("ssh://build1/run/user/1000/docker.sock").slice(-6),
            ["build1", "docker", "--host=unix:///run/user/1000/docker.sock", "version", "--format", "{{.Server.APIVersion}}/{{.Server.Arch}}"]);
    });

    it("takes the engine to run on this machine's architecture until the preflight asks it", () => {
        assert.strictEqual(machineArch(), archOf(process.arch));
        assert.strictEqual(parse({}).engine.arch, machineArch());
    });

    it("names an architecture as the bundle does, whoever said it", () => {
        // docker version, docker info and uname -m, Node's process.arch
        for (const [said, want] of [["amd64", "amd64"], ["x86_64", "amd64"], ["x64", "amd64"], ["arm64", "arm64"], ["aarch64", "arm64"], ["aarch64\n", "arm64"]]) {
            assert.strictEqual(archOf(said), want, said);
        }
        for (const other of ["armv7l", "arm", "ppc64le", "s390x", "riscv64", "386", ""]) assert.strictEqual(archOf(other), undefined, other);
    });

    const H = "ssh://ann@h:22";
    const verdicts: [string, number, string, string, string | undefined][] = [
        ["a new enough engine", 0, "1.41/amd64\n", "", undefined],
        ["an arm64 engine", 0, "1.43/arm64\n", "", undefined],
        ["an engine on an architecture the bundle is not built for", 0, "1.41/s390x\n", "",
            `${H} runs on s390x: the bundle is built for amd64 and arm64 only`],
        ["an engine too old", 0, "1.40/amd64\n", "",
            `${H} speaks Docker API 1.40; the wrapper needs 1.41 (Docker 20.10) or later (--cgroupns private): upgrade Docker there`],
        ["ssh asking for a password", 255, "", "ann@h: Permission denied (publickey,password).\n",
            `${H}: ssh would ask for a password (refused: runs are unattended); install your key there (ssh-copy-id) or name it with IdentityFile in ~/.ssh/config`],
        ["an unknown host key", 255, "", "Host key verification failed.\n",
            `${H}: its ssh host key is not in known_hosts; connect once with ssh and check the fingerprint`],
        ["nothing listening", 255, "", "ssh: connect to host h port 22: Connection refused\n",
            `${H} is unreachable: ssh: connect to host h port 22: Connection refused`],
        ["no docker there", 127, "", "sh: 1: docker: not found\n",
            `${H}: no docker CLI on that host's PATH (docker's ssh transport runs "docker system dial-stdio" there): sh: 1: docker: not found`],
    ];
    for (const [what, code, stdout, stderr, want] of verdicts) {
        it(`probe: ${what}`, () => assert.strictEqual(probeVerdict(H, code, stdout, stderr), want));
    }

    it("compares API versions as numbers", () => {
        assert.ok(apiOlder("1.9", "1.41"));
        assert.ok(!apiOlder("1.43", "1.41"));
        assert.ok(!apiOlder("2.0", "1.41"));
    });
});
