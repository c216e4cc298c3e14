// The image-source settings: every refusal with its exact message, and the
// files the registries step writes into the wrapper. No engine needed.
import * as assert from "assert";
import { RawSettings } from "../../components/settings/catalog";
import { SettingsError } from "../../components/settings/types";
import { parseSettings } from "../../components/settings/validate";
import { hostImageIds } from "../../components/host-images";
import { hostsFiles, renderConfig } from "../../components/registries";
import { ImageSources } from "../../components/settings/image-sources";
import { NO_CONTEXTS, PROJECT_ROOT, stackDefaults } from "./mocks";

const SECRETS = new Set(["registryAuth", "httpProxy", "httpsProxy"]);

function parse(overrides: RawSettings, secrets: ReadonlySet<string> = SECRETS): ImageSources {
    const secretKeys = [...secrets].map((n) => `nerdctl-dind:${n}`);
    return parseSettings({ ...stackDefaults(), ...overrides, secretKeys }, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS).sources;
}

function problemsOf(overrides: RawSettings, secrets: ReadonlySet<string> = SECRETS): string[] {
    try {
        parse(overrides, secrets);
    } catch (e) {
        assert.ok(e instanceof SettingsError, `expected SettingsError, got ${e}`);
        return e.problems;
    }
    return [];
}

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

describe("image-source settings", () => {
    it("takes the Pulumi.yaml defaults: nothing configured", () => {
        const s = parse({});
        assert.deepStrictEqual(s.hostImages, []);
        assert.deepStrictEqual(s.registryMirrors, {});
        assert.deepStrictEqual(s.registryAuth, {});
        assert.deepStrictEqual(s.proxy, { httpProxy: "", httpsProxy: "", noProxy: "" });
        assert.strictEqual(s.localRegistry, false);
        assert.strictEqual(s.localRegistryPort, 5000);
        assert.deepStrictEqual(renderConfig(s, "nerdctl-dind"), { plain: "", secret: "" });
    });

    it("parses mirrors (fallback by default), insecure registries and credentials", () => {
        const s = parse({
            registryMirrors: { "docker.io": { endpoints: ["http://10.0.0.5:5000", "https://mirror.example.com"] }, "quay.io": { endpoints: ["http://m:5000"], fallback: false } },
            insecureRegistries: ["reg.local:5000", "https://self-signed.example.com"],
            registryAuth: { "reg.local:5000": { username: "ann", password: "s3cret" } },
        });
        assert.deepStrictEqual(s.registryMirrors["docker.io"], { endpoints: ["http://10.0.0.5:5000", "https://mirror.example.com"], fallback: true });
        assert.strictEqual(s.registryMirrors["quay.io"].fallback, false);
        assert.deepStrictEqual(s.insecureRegistries, { "reg.local:5000": "http", "self-signed.example.com": "https-skip-verify" });
        assert.deepStrictEqual(s.registryAuth, { "reg.local:5000": { username: "ann", password: "s3cret" } });
    });

    const refused: [string, RawSettings, string][] = [
        ["a malformed mirror URL", { registryMirrors: { "docker.io": { endpoints: ["mirror:5000"] } } },
            'nerdctl-dind:registryMirrors["docker.io"].endpoints[0] is "mirror:5000": scheme mirror: is not one of http://, https://; give http://HOST[:PORT] or https://HOST[:PORT]'],
        ["a mirror URL with a path", { registryMirrors: { "docker.io": { endpoints: ["http://m:5000/v2"] } } },
            'nerdctl-dind:registryMirrors["docker.io"].endpoints[0] is "http://m:5000/v2": a path is not allowed; give http://HOST[:PORT] or https://HOST[:PORT]'],
        ["a mirror that is not a URL", { registryMirrors: { "docker.io": { endpoints: ["http://"] } } },
            'nerdctl-dind:registryMirrors["docker.io"].endpoints[0] is "http://": not a URL; give http://HOST[:PORT] or https://HOST[:PORT]'],
        ["mirrors without endpoints", { registryMirrors: { "docker.io": { fallback: true } } },
            `nerdctl-dind:registryMirrors["docker.io"].endpoints must be a non-empty list of URLs, got undefined; set it with: pulumi config set --path 'registryMirrors["docker.io"].endpoints[0]' http://mirror:5000`],
        ["a mirrored registry name that is not a host", { registryMirrors: { "https://docker.io": { endpoints: ["http://m:5000"] } } },
            'nerdctl-dind:registryMirrors["https://docker.io"]: "https://docker.io" is not a registry host; name it as images do, e.g. docker.io or registry.example.com:5000'],
        ["a non-boolean fallback", { registryMirrors: { "docker.io": { endpoints: ["http://m:5000"], fallback: "no" } } },
            'nerdctl-dind:registryMirrors["docker.io"].fallback must be true or false, got "no"'],
        ["mirrors that are a list", { registryMirrors: ["http://m:5000"] },
            `nerdctl-dind:registryMirrors must be an object of registry -> {endpoints, fallback}, got ["http://m:5000"]; set it with: pulumi config set --path 'registryMirrors["docker.io"].endpoints[0]' http://mirror:5000`],
        ["an insecure registry that is not a host", { insecureRegistries: ["reg local"] },
            'nerdctl-dind:insecureRegistries[0] is "reg local": not a registry host; give HOST[:PORT] for plain HTTP, or https://HOST[:PORT] for TLS without verification'],
        ["an insecure registry with a bad port", { insecureRegistries: ["reg:99999"] },
            'nerdctl-dind:insecureRegistries[0] is "reg:99999": not a registry host; give HOST[:PORT] for plain HTTP, or https://HOST[:PORT] for TLS without verification'],
        ["a CA that is not PEM", { registryCA: "/etc/ssl/ca.crt" },
            'nerdctl-dind:registryCA is not PEM: give the certificates themselves, e.g. pulumi config set registryCA -- "$(cat ca.crt)"'],
        ["a credential without a registry", { registryAuth: { username: "ann", password: "pw" } },
            `nerdctl-dind:registryAuth has username, password outside any registry: a credential without a registry; set it with: pulumi config set --path 'registryAuth["REGISTRY"].username' USER && pulumi config set --secret --path 'registryAuth["REGISTRY"].password' PASSWORD`],
        ["a credential for a registry that is not a host", { registryAuth: { "http://reg:5000": { username: "ann", password: "pw" } } },
            'nerdctl-dind:registryAuth["http://reg:5000"]: "http://reg:5000" is not a registry host; name it as images do, e.g. registry.example.com:5000'],
        ["a credential without a password", { registryAuth: { "reg:5000": { username: "ann" } } },
            `nerdctl-dind:registryAuth["reg:5000"] needs both username and password; set them with: pulumi config set --path 'registryAuth["reg:5000"].username' USER && pulumi config set --secret --path 'registryAuth["reg:5000"].password' PASSWORD`],
        ["a malformed proxy URL", { httpProxy: "proxy:3128" },
            'nerdctl-dind:httpProxy is "proxy:3128": scheme proxy: is not one of http://, https://, socks5://; give http://[USER:PASSWORD@]HOST:PORT'],
        ["a proxy URL that is not a URL", { httpsProxy: "not a url" },
            'nerdctl-dind:httpsProxy is "not a url": not a URL; give http://[USER:PASSWORD@]HOST:PORT'],
        ["a bad no-proxy entry", { noProxy: "localhost,bad host" },
            'nerdctl-dind:noProxy has "bad host": give host names, .domains, IP addresses or CIDRs, separated by commas'],
        ["a bad host image name", { hostImages: ["Busybox NDIND"] },
            'nerdctl-dind:hostImages[0] is "Busybox NDIND": give a host image name such as busybox:ndind (see docker images)'],
        ["host images that are not a list", { hostImages: "busybox:ndind" },
            `nerdctl-dind:hostImages must be a list of strings, got "busybox:ndind"; set it with: pulumi config set --path 'hostImages[0]' VALUE`],
        ["a non-boolean localRegistry", { localRegistry: "yes" },
            'nerdctl-dind:localRegistry must be true or false, got "yes"'],
        ["a bad localRegistryPort", { localRegistryPort: 0 },
            "nerdctl-dind:localRegistryPort is 0: give the host port of `make registry` (1-65535)"],
    ];
    for (const [what, overrides, message] of refused) {
        it(`refuses ${what}`, () => assert.deepStrictEqual(problemsOf(overrides), [message]));
    }

    it("refuses credentials and proxy passwords that are not secrets, without showing the password", () => {
        assert.deepStrictEqual(problemsOf({
            registryAuth: { "reg:5000": { username: "ann", password: "pw" } }, httpProxy: "http://bob:hunter2@proxy:3128",
        }, new Set()), [
            `nerdctl-dind:registryAuth holds passwords but is not a secret; set each password with --secret: pulumi config set --path 'registryAuth["REGISTRY"].username' USER && pulumi config set --secret --path 'registryAuth["REGISTRY"].password' PASSWORD`,
            "nerdctl-dind:httpProxy holds a user:password but is not a secret; set it with: pulumi config set --secret httpProxy 'http://bob:***@proxy:3128'",
        ]);
    });

    it("never shows a proxy password in a message", () => {
        const [p] = problemsOf({ httpProxy: "ftp://bob:hunter2@proxy:21" });
        assert.strictEqual(p, 'nerdctl-dind:httpProxy is "ftp://bob:***@proxy:21": scheme ftp: is not one of http://, https://, socks5://; give http://[USER:PASSWORD@]HOST:PORT');
    });

    it("says an engine that does not answer is the problem, not the image, naming the setting", () => {
        assert.throws(() => hostImageIds(["busybox:ndind"],
            { ref: { dockerHost: "unix:///nonexistent/docker.sock" }, remote: false, arch: "amd64", name: "unix:///nonexistent/docker.sock" }, "nerdctl-dind:hostImages"), (e: unknown) => {
                assert.ok(e instanceof SettingsError);
                assert.strictEqual(e.problems.length, 1);
                assert.match(e.problems[0], /^nerdctl-dind:hostImages\[0\] is "busybox:ndind": could not ask unix:\/\/\/nonexistent\/docker.sock for it: .*docker.sock.*; check that the engine answers \(docker info\)$/);
                return true;
            });
    });
});

describe("registry files in the wrapper", () => {
    it("writes a hosts.toml per mirrored registry, mirrors in order, then the registry itself", () => {
        const s = parse({ registryMirrors: { "docker.io": { endpoints: ["http://10.0.0.5:5000", "https://m2.example.com/"] } } });
        assert.deepStrictEqual(hostsFiles(s), [{
            path: "/etc/containerd/certs.d/docker.io/hosts.toml", mode: "0644",
            content: [
                "# Written by nerdctl-dind (scripts/configure.sh) from the stack's settings.",
                'server = "https://registry-1.docker.io"', "",
                '[host."http://10.0.0.5:5000"]', '  capabilities = ["pull", "resolve"]',
                '[host."https://m2.example.com"]', '  capabilities = ["pull", "resolve"]',
            ].join("\n"),
        }]);
    });

    it("without fallback, the registry itself gets no capabilities", () => {
        const [f] = hostsFiles(parse({ registryMirrors: { "quay.io": { endpoints: ["http://m:5000"], fallback: false } } }));
        assert.match(f.content, /server = "https:\/\/quay.io"\n# fallback: false, so the registry itself is never asked\ncapabilities = \[\]\n/);
    });

    it("plain-HTTP and skip-verify registries, and the local registry under both its names", () => {
        const files = hostsFiles(parse({ insecureRegistries: ["reg:5000", "https://tls.example.com"], localRegistry: true, localRegistryPort: 15500 }));
        assert.deepStrictEqual(files.map((f) => f.path), [
            "/etc/containerd/certs.d/localhost:15500/hosts.toml", "/etc/containerd/certs.d/ndind-registry:5000/hosts.toml",
            "/etc/containerd/certs.d/reg:5000/hosts.toml", "/etc/containerd/certs.d/tls.example.com/hosts.toml",
        ]);
        assert.match(files[0].content, /\[host."http:\/\/ndind-registry:5000"\]\n {2}capabilities = \["pull", "resolve", "push"\]/);
        assert.match(files[2].content, /server = "http:\/\/reg:5000"/);
        assert.match(files[3].content, /server = "https:\/\/tls.example.com"\nskip_verify = true/);
    });

    it("puts credentials and a proxy with a password only in the secret part", () => {
        const s = parse({
            registryAuth: { "reg:5000": { username: "ann", password: "s3cret" } },
            httpProxy: "http://bob:hunter2@10.0.0.9:8888", noProxy: "localhost,.internal",
            registryCA: CA, registryMirrors: { "docker.io": { endpoints: ["http://10.0.0.5:5000"] } },
        });
        const { plain, secret } = renderConfig(s, "nerdctl-dind");
        assert.doesNotMatch(plain, /s3cret|hunter2/);
        assert.match(plain, /^=== file \/usr\/local\/share\/ca-certificates\/nerdctl-dind.crt 0644\n-----BEGIN CERTIFICATE-----$/m);
        assert.match(plain, /^=== check nerdctl-dind:registryMirrors\["docker.io"\].endpoints\[0\] http:\/\/10.0.0.5:5000$/m);
        const auth = Buffer.from("ann:s3cret").toString("base64");
        assert.ok(secret.includes(`=== file /root/.docker/config.json 0600\n{"auths":{"reg:5000":{"auth":"${auth}"}}}`), secret);
        assert.ok(secret.includes("=== file /etc/nerdctl-dind/proxy.env 0600\nHTTP_PROXY='http://bob:hunter2@10.0.0.9:8888'\n" +
            "http_proxy='http://bob:hunter2@10.0.0.9:8888'\nNO_PROXY='localhost,.internal'\nno_proxy='localhost,.internal'"), secret);
        assert.match(secret, /^=== proxy nerdctl-dind:httpProxy http:\/\/bob:hunter2@10.0.0.9:8888$/m);
    });

    it("a proxy without credentials stays readable in the diff", () => {
        const { plain, secret } = renderConfig(parse({ httpsProxy: "http://10.0.0.9:8888" }), "nerdctl-dind");
        assert.strictEqual(secret, "");
        assert.match(plain, /HTTPS_PROXY='http:\/\/10.0.0.9:8888'/);
    });
});
