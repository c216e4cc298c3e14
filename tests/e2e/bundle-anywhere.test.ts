// The bundle is built where Docker, Go and Node are, without Debian's tools on
// the host: build.sh runs with a PATH that has every command of this
// machine's PATH except apt*, dpkg* and debootstrap, for amd64 and for arm64.
// The components that need Debian's packages (runc's cgo part, tini, the
// tools, the probe image) are rebuilt, in the Debian build container
// (nerdctl/debian.sh); the Go-only ones come from the cache (their inputs did
// not change). About 6 minutes here with the Go components cached.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { must, ROOT, run } from "./harness";

/** What a host without Debian lacks. */
const DEBIAN_ONLY = /^(apt|apt-.*|dpkg|dpkg-.*|debootstrap)$/;
const ELF: Record<string, string> = { amd64: "x86-64", arm64: "ARM aarch64" };

/** A folder of links to every command of PATH but Debian's own; the first one found wins, as in PATH. */
function pathWithoutDebian(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-no-apt-"));
    for (const d of (process.env.PATH ?? "").split(":").filter((p) => p && fs.existsSync(p))) {
        for (const name of fs.readdirSync(d)) {
            const target = path.join(d, name);
            if (DEBIAN_ONLY.test(name) || fs.existsSync(path.join(dir, name))) continue;
            try {
                fs.accessSync(target, fs.constants.X_OK);
                if (fs.statSync(target).isFile()) fs.symlinkSync(target, path.join(dir, name));
            } catch {
                continue;
            }
        }
    }
    return dir;
}

describe("the bundle built without Debian's tools on the host", function () {
    this.timeout(30 * 60 * 1000);
    let shims: string;
    before(() => {
        shims = pathWithoutDebian();
    });
    after(() => fs.rmSync(shims, { recursive: true, force: true }));

    it("the PATH the build sees has no apt-get, apt-cache, dpkg, dpkg-deb or debootstrap, and has docker and go", () => {
        for (const gone of ["apt-get", "apt-cache", "dpkg", "dpkg-deb", "debootstrap"]) {
            assert.notStrictEqual(run("sh", ["-c", `PATH=${shims} command -v ${gone}`]).code, 0, `${gone} is on the shims' PATH`);
        }
        for (const kept of ["docker", "go", "sh", "flock", "tar"]) {
            assert.strictEqual(run("sh", ["-c", `PATH=${shims} command -v ${kept}`]).code, 0, `${kept} is missing from the shims' PATH`);
        }
    });

    for (const arch of ["amd64", "arm64"]) {
        it(`builds the linux/${arch} bundle, its Debian parts in the build container`, () => {
            const t0 = Date.now();
            // stdout is the folder's name; the log goes to a file.
            const log = path.join(shims, `build-${arch}.log`);
            const r = run("sh", ["-c", `PATH=${shims} NDIND_ARCH=${arch} NDIND_NERDCTL_SRC=none ` +
                `NDIND_REBUILD="runc tini tools probe-image" sh nerdctl/build.sh 2>"$1"`, "sh", log]);
            const said = fs.readFileSync(log, "utf8");
            assert.strictEqual(r.code, 0, said.slice(-3000));
            const seconds = Math.round((Date.now() - t0) / 1000);
            console.log(`      linux/${arch}: built in ${seconds} s with apt-get and dpkg absent`);
            for (const part of ["runc", "tini", "tools", "probe-image"]) {
                assert.match(said, new RegExp(`built ${part}-[^ ]*-${arch} in \\d+s`), `${part} was not rebuilt`);
            }
            assert.doesNotMatch(said, /not found|installing .* with apt-get/);
            const dir = path.join(ROOT, "nerdctl", "out", r.out.trim().split("\n").pop() ?? "");
            assert.match(path.basename(dir), new RegExp(`_arch-${arch}$`));
            // Read with this machine's file(1): every binary of the architecture asked for.
            for (const bin of ["usr/local/bin/containerd", "usr/local/bin/runc", "usr/local/bin/nerdctl", "usr/local/bin/tini", "opt/cni/bin/bridge"]) {
                const seen = must("file", ["-b", path.join(dir, bin)]);
                assert.match(seen, /statically linked/, `${bin}: ${seen}`);
                assert.ok(seen.includes(ELF[arch]), `${bin} is not ${arch}: ${seen}`);
            }
            const loader = arch === "amd64" ? "ld-linux-x86-64.so.2" : "ld-linux-aarch64.so.1";
            assert.match(must("file", ["-b", path.join(dir, "usr/local/lib/nerdctl-dind", loader)]), new RegExp(ELF[arch]));
            const probe = must("tar", ["-xOf", path.join(dir, "usr/local/share/nerdctl-dind/probe.tar"), "index.json"]);
            assert.match(probe, /nerdctl-dind\/probe:1/);
            assert.match(must("sh", ["-c", `tar -xOf "$1" --wildcards 'blobs/sha256/*' | grep -a -o '"architecture":"[a-z0-9]*"'`,
                "sh", path.join(dir, "usr/local/share/nerdctl-dind/probe.tar")]), new RegExp(`"architecture":"${arch}"`));
            assert.match(fs.readFileSync(path.join(dir, "usr/local/share/nerdctl-dind/VERSIONS"), "utf8"), new RegExp(`^ARCH=${arch}$`, "m"));
        });
    }
});
