// The doctor's modules check (scripts/doctor-modules.sh) on made-up kernels:
// a root with its own proc/modules, proc/cmdline, sys/module and
// lib/modules, given through NDIND_DOCTOR_ROOT. The check runs as
// scripts/doctor.sh runs it (sourced, its lines through report).
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const RELEASE = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();

// doctor.sh's report, reduced to its printed lines; the run folder holds
// the wrapper's backend when a case gives one.
const HARNESS = `set -eu
report() { printf '%s|%s|%s|%s\\n' "$1" "$2" "$3" "\${4:-}"; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
NDIND_RUN=$FAKE_RUN
ON_HOST=
. scripts/doctor-modules.sh
check_modules
`;

/** The needed modules as the script lists them: [name, backend]. */
function needed(): [string, string][] {
    const r = spawnSync("sh", ["-c", '. scripts/doctor-modules.sh && echo "$NEEDED_MODULES"'], { cwd: ROOT, encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout.split("\n").filter((l) => l.trim()).map((l) => l.split(" ").slice(0, 2) as [string, string]);
}

interface Kernel { loaded?: string[]; builtin?: string[]; shipped?: string[]; cmdline?: string; monolithic?: boolean; backend?: string }

/** The check's lines ("LEVEL|check|detail|fix") on a made-up kernel. */
function check(k: Kernel): string[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-doctor-modules-"));
    try {
        fs.mkdirSync(path.join(dir, "proc"));
        fs.mkdirSync(path.join(dir, "run"));
        const lib = path.join(dir, "lib", "modules", RELEASE);
        fs.mkdirSync(lib, { recursive: true });
        if (!k.monolithic) {
            fs.writeFileSync(path.join(dir, "proc", "modules"),
                (k.loaded ?? []).map((m) => `${m} 200704 3 - Live 0x0000000000000000\n`).join(""));
        }
        fs.writeFileSync(path.join(dir, "proc", "cmdline"), `${k.cmdline ?? "root=/dev/vda ro"}\n`);
        fs.writeFileSync(path.join(lib, "modules.builtin"), (k.builtin ?? []).map((m) => `kernel/x/${m}.ko\n`).join(""));
        fs.writeFileSync(path.join(lib, "modules.dep"), (k.shipped ?? []).map((m) => `kernel/net/${m}.ko.xz: \n`).join(""));
        if (k.backend) fs.writeFileSync(path.join(dir, "run", "iptables-backend"), k.backend);
        const r = spawnSync("sh", ["-c", HARNESS], {
            cwd: ROOT, encoding: "utf8", env: { ...process.env, NDIND_DOCTOR_ROOT: dir, FAKE_RUN: path.join(dir, "run") },
        });
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout.split("\n").filter((l) => l);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("doctor: kernel modules", function () {
    this.timeout(30000);
    const all = needed().map(([m]) => m);

    it("lists modules for both backends and each backend alone", () => {
        const backends = new Set(needed().map(([, b]) => b));
        assert.deepStrictEqual([...backends].sort(), ["both", "legacy"]);
    });

    it("a monolithic kernel (no /proc/modules): one OK line that says so", () => {
        const lines = check({ monolithic: true });
        assert.strictEqual(lines.length, 1, lines.join("\n"));
        assert.match(lines[0], /^OK\|modules\|monolithic/);
    });

    it("every needed module loaded, or built in (modules.builtin, or /sys/module): OK", () => {
        const half = Math.floor(all.length / 2);
        const lines = check({ loaded: all.slice(0, half), builtin: all.slice(half) });
        assert.deepStrictEqual(lines.map((l) => l.split("|")[0]), ["OK"], lines.join("\n"));
        assert.match(lines[0], new RegExp(`${all.length} of the needed modules loaded or built in`));
    });

    it("modules not loaded yet but shipped for this kernel: OK, named as loaded on first use", () => {
        const lines = check({ loaded: all.slice(1), shipped: all.slice(0, 1) });
        assert.deepStrictEqual(lines.map((l) => l.split("|")[0]), ["OK"], lines.join("\n"));
        assert.match(lines[0], new RegExp(`loaded on first use: ${all[0]}\\|$`));
    });

    for (const [m, backend] of needed()) {
        it(`${m} (${backend}) blacklisted: a line that names it, the feature that breaks and the fix`, () => {
            const lines = check({ loaded: all.filter((x) => x !== m), shipped: [m], cmdline: `ro module_blacklist=foo,${m}` });
            assert.strictEqual(lines.length, 1, lines.join("\n"));
            const [level, name, detail, fix] = lines[0].split("|");
            // Only the other backend can stand in for a backend's own module.
            assert.strictEqual(level, backend === "both" ? "FAIL" : "WARN", lines[0]);
            assert.strictEqual(name, `module ${m}`);
            assert.match(detail, /blacklisted.*: breaks \S/);
            assert.match(fix, new RegExp(`remove ${m} from module_blacklist=`));
        });
    }

    it("a module neither loaded, built in nor shipped: FAIL naming it", () => {
        const lines = check({ loaded: all.filter((x) => x !== "overlay") });
        assert.strictEqual(lines.length, 1, lines.join("\n"));
        assert.match(lines[0], /^FAIL\|module overlay\|not built in and not in \/lib\/modules\/.*: breaks containerd's overlayfs snapshotter/);
    });

    it("in a wrapper on the nft backend: a missing legacy module is not its concern, a missing shared one FAILs", () => {
        const legacy = needed().find(([, b]) => b === "legacy")![0];
        assert.match(check({ loaded: all.filter((x) => x !== legacy), backend: "nft" })[0], /^OK\|modules\|/);
        const lines = check({ loaded: all.filter((x) => x !== "xt_nat"), backend: "nft" });
        assert.match(lines[0], /^FAIL\|module xt_nat\|/);
    });
});
