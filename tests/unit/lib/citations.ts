// Source citations in the project's Markdown docs, and their check against the
// pinned Go module sources in the Go module cache.
//
// Citation form (one per inline code span, outside fenced code blocks):
//
//     `MODULE:PATH#SYMBOL`      SYMBOL is Name or Type.Name
//     `MODULE:PATH`             only for files that are not .go files
//
// MODULE is a short name from MODULES below; PATH is a file path inside that
// module at the pinned version. For a .go file, `#Name` must be a top-level
// func, type, const or var of that name declared in the file, and `#Type.Name`
// must be a method whose receiver is Type or *Type.

import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface ModulePin {
    /** Go module path, e.g. github.com/containerd/nerdctl */
    path: string;
    /** Exact version, e.g. v1.5.0 */
    version: string;
}

/** Short citation prefixes and the module versions they stand for. */
export const MODULES: Readonly<Record<string, ModulePin>> = {
    nerdctl: { path: "github.com/containerd/nerdctl", version: "v1.5.0" },
    containerd: { path: "github.com/containerd/containerd", version: "v1.7.2" },
    runc: { path: "github.com/opencontainers/runc", version: "v1.1.7" },
    "cni-plugins": { path: "github.com/containernetworking/plugins", version: "v1.3.0" },
    cni: { path: "github.com/containernetworking/cni", version: "v1.1.2" },
    "go-cni": { path: "github.com/containerd/go-cni", version: "v1.1.9" },
    "go-runc": { path: "github.com/containerd/go-runc", version: "v1.0.0" },
    "go-iptables": { path: "github.com/coreos/go-iptables", version: "v0.6.0" },
};

export interface Citation {
    /** File the citation was found in (as given to extractCitations). */
    doc: string;
    /** 1-based line number in that file. */
    line: number;
    /** The text between the backticks. */
    raw: string;
    module: string;
    file: string;
    /** Undefined when the citation names a file only. */
    symbol?: string;
}

export interface Problem {
    doc: string;
    line: number;
    raw: string;
    reason: string;
}

export interface Extraction {
    citations: Citation[];
    /** Spans that look like citations but do not follow the form. */
    malformed: Problem[];
}

const IDENT = "[A-Za-z_][A-Za-z0-9_]*";
const SYMBOL_RE = new RegExp(`^${IDENT}(?:\\.${IDENT})?$`);
// A span is treated as a citation attempt when its prefix is a known module, or
// when it has the shape word:path.ext[#...] (so a mistyped prefix is reported
// instead of being silently ignored). Image references such as alpine:3.18 do
// not have a file extension from this list and are left alone.
const CANDIDATE_RE = /^([a-z][a-z0-9-]*):([^\s#`]+)(?:#(.*))?$/;
const FILE_EXT_RE = /\.(go|proto|mod|sum|sh|toml|json|ya?ml|md|c|h|txt)$/;

/**
 * Extract citations from Markdown text. Fenced code blocks are skipped. Code
 * spans are matched within a paragraph (consecutive non-blank lines), so a span
 * wrapped onto the next line is still seen; a citation broken that way is
 * reported instead of being silently ignored.
 */
export function extractCitations(doc: string, markdown: string): Extraction {
    const citations: Citation[] = [];
    const malformed: Problem[] = [];
    const lines = markdown.split(/\r?\n/);
    let fence: string | null = null;
    let para: { text: string; line: number }[] = [];

    const flush = (): void => {
        if (para.length === 0) {
            return;
        }
        const starts: number[] = [];
        let joined = "";
        for (const p of para) {
            starts.push(joined.length);
            joined += p.text + "\n";
        }
        const lineAt = (offset: number): number => {
            let i = 0;
            while (i + 1 < starts.length && starts[i + 1] <= offset) i++;
            return para[i].line;
        };
        const spanRe = /(`+)([^`]+?)\1(?!`)/g;
        let m: RegExpExecArray | null;
        while ((m = spanRe.exec(joined)) !== null) {
            const lineNo = lineAt(m.index);
            const raw = m[2].replace(/\s+/g, " ").trim();
            const problem = (reason: string): void => {
                malformed.push({ doc, line: lineNo, raw, reason });
            };
            const broken = /^([a-z][a-z0-9-]*):\S+\s/.exec(raw);
            if (broken && Object.prototype.hasOwnProperty.call(MODULES, broken[1])) {
                problem("citation contains a line break or space; keep it on one line");
                continue;
            }
            const c = CANDIDATE_RE.exec(raw);
            if (!c) {
                continue;
            }
            const [, module, file, symbol] = c;
            const known = Object.prototype.hasOwnProperty.call(MODULES, module);
            if (!known && !(FILE_EXT_RE.test(file) || symbol !== undefined)) {
                continue;
            }
            if (!known) {
                problem(`unknown module prefix "${module}" (known: ${Object.keys(MODULES).join(", ")})`);
                continue;
            }
            if (file.startsWith("/") || file.split("/").some((seg) => seg === ".." || seg === "." || seg === "")) {
                problem("path must be relative to the module root, without empty, '.' or '..' segments");
                continue;
            }
            if (symbol !== undefined && !SYMBOL_RE.test(symbol)) {
                problem(`symbol "${symbol}" is not Name or Type.Name`);
                continue;
            }
            if (file.endsWith(".go") && symbol === undefined) {
                problem("a .go file must be cited with #Function, #Type.Method or another top-level name");
                continue;
            }
            if (!file.endsWith(".go") && symbol !== undefined) {
                problem("symbols can only be checked in .go files; cite other files without #");
                continue;
            }
            citations.push({ doc, line: lineNo, raw, module, file, symbol });
        }
        para = [];
    };

    lines.forEach((text, index) => {
        const lineNo = index + 1;
        const fenceMatch = /^\s{0,3}(`{3,}|~{3,})/.exec(text);
        if (fenceMatch) {
            const marker = fenceMatch[1];
            if (fence === null) {
                flush();
                fence = marker[0].repeat(marker.length);
                return;
            }
            if (marker[0] === fence[0] && marker.length >= fence.length) {
                fence = null;
                return;
            }
        }
        if (fence !== null) {
            return;
        }
        if (text.trim() === "") {
            flush();
            return;
        }
        para.push({ text, line: lineNo });
    });
    flush();
    return { citations, malformed };
}

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Names declared at top level in const/var/type groups, e.g. `const ( A = 1 )`.
 * Lines are scanned with a rough bracket count so that field names inside
 * composite literals in a var group are not taken for declarations.
 */
function groupedDeclarations(source: string): Set<string> {
    const names = new Set<string>();
    let inGroup = false;
    let depth = 0;
    for (const rawLine of source.split("\n")) {
        // Drop string literals and line comments before counting brackets.
        const line = rawLine
            .replace(/"(?:[^"\\]|\\.)*"/g, '""')
            .replace(/`[^`]*`/g, "``")
            .replace(/'(?:[^'\\]|\\.)*'/g, "''")
            .replace(/\/\/.*$/, "");
        if (!inGroup) {
            if (/^(const|var|type)\s*\(\s*$/.test(line)) {
                inGroup = true;
                depth = 0;
            }
            continue;
        }
        if (depth === 0 && /^\)/.test(line)) {
            inGroup = false;
            continue;
        }
        if (depth === 0) {
            const decl = new RegExp(`^\\s+(${IDENT}(?:\\s*,\\s*${IDENT})*)`).exec(line);
            if (decl) {
                for (const n of decl[1].split(",")) {
                    names.add(n.trim());
                }
            }
        }
        for (const ch of line) {
            if (ch === "{" || ch === "(" || ch === "[") depth++;
            else if (ch === "}" || ch === ")" || ch === "]") depth--;
        }
        if (depth < 0) {
            // The closing parenthesis of the group shared a line with code.
            inGroup = false;
            depth = 0;
        }
    }
    return names;
}

/** Does the Go source declare the symbol (see the file header for the rules)? */
export function goDeclares(source: string, symbol: string): boolean {
    const dot = symbol.indexOf(".");
    if (dot >= 0) {
        const recv = escapeRegExp(symbol.slice(0, dot));
        const name = escapeRegExp(symbol.slice(dot + 1));
        const re = new RegExp(
            `^func\\s*\\(\\s*(?:${IDENT}\\s+)?\\*?\\s*${recv}(?:\\s*\\[[^\\]]*\\])?\\s*\\)\\s*${name}\\s*[(\\[]`,
            "m",
        );
        return re.test(source);
    }
    const name = escapeRegExp(symbol);
    if (new RegExp(`^func\\s+${name}\\s*[(\\[]`, "m").test(source)) {
        return true;
    }
    if (new RegExp(`^(?:type|const|var)\\s+${name}\\b`, "m").test(source)) {
        return true;
    }
    // `var a, b = ...` at top level
    if (new RegExp(`^(?:const|var)\\s+(?:${IDENT}\\s*,\\s*)+${name}\\b`, "m").test(source)) {
        return true;
    }
    return groupedDeclarations(source).has(symbol);
}

/** Go's module cache escaping: an upper-case letter becomes "!" + its lower case. */
export function escapeModulePath(p: string): string {
    return p.replace(/[A-Z]/g, (c) => "!" + c.toLowerCase());
}

function goBinary(): string {
    return process.env.GO && process.env.GO !== "" ? process.env.GO : "go";
}

function runGo(args: string[]): string {
    try {
        return childProcess.execFileSync(goBinary(), args, {
            cwd: os.tmpdir(), // outside any module, so no go.mod/go.work is consulted
            encoding: "utf8",
            env: { ...process.env, GO111MODULE: "on", GOFLAGS: "-mod=mod" },
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 10 * 60 * 1000,
            maxBuffer: 16 * 1024 * 1024,
        });
    } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message?: string };
        throw new Error(
            `"${goBinary()} ${args.join(" ")}" failed: ${e.message ?? String(err)}\n` +
            `stdout: ${e.stdout ?? ""}\nstderr: ${e.stderr ?? ""}`,
        );
    }
}

let cachedModCache: string | undefined;

export function goModCache(): string {
    if (cachedModCache === undefined) {
        const dir = runGo(["env", "GOMODCACHE"]).trim();
        if (dir === "") {
            throw new Error("`go env GOMODCACHE` printed nothing");
        }
        cachedModCache = dir;
    }
    return cachedModCache;
}

/**
 * Directory of the module's source in the Go module cache; runs
 * `go mod download -json` when it is not there yet. Throws on any failure.
 */
export function ensureModule(pin: ModulePin): string {
    const expected = path.join(goModCache(), `${escapeModulePath(pin.path)}@${escapeModulePath(pin.version)}`);
    if (fs.existsSync(expected)) {
        return expected;
    }
    const out = runGo(["mod", "download", "-json", `${pin.path}@${pin.version}`]);
    let info: { Dir?: string; Error?: string };
    try {
        info = JSON.parse(out) as { Dir?: string; Error?: string };
    } catch {
        throw new Error(`go mod download ${pin.path}@${pin.version}: unreadable output: ${out}`);
    }
    if (info.Error) {
        throw new Error(`go mod download ${pin.path}@${pin.version}: ${info.Error}`);
    }
    if (!info.Dir || !fs.existsSync(info.Dir)) {
        throw new Error(`go mod download ${pin.path}@${pin.version} reported no usable Dir: ${out}`);
    }
    return info.Dir;
}

/** Resolve citations against module directories; returns every problem found. */
export function checkCitations(citations: Citation[], moduleDirs: Map<string, string>): Problem[] {
    const problems: Problem[] = [];
    const sources = new Map<string, string | null>();
    for (const c of citations) {
        const root = moduleDirs.get(c.module);
        if (root === undefined) {
            problems.push({ ...c, reason: `module "${c.module}" was not resolved` });
            continue;
        }
        const full = path.join(root, ...c.file.split("/"));
        let source = sources.get(full);
        if (source === undefined) {
            source = fs.existsSync(full) && fs.statSync(full).isFile() ? fs.readFileSync(full, "utf8") : null;
            sources.set(full, source);
        }
        const pin = MODULES[c.module];
        if (source === null) {
            problems.push({ ...c, reason: `file ${c.file} does not exist in ${pin.path}@${pin.version}` });
            continue;
        }
        if (c.symbol !== undefined && !goDeclares(source, c.symbol)) {
            const what = c.symbol.includes(".") ? "method" : "function or top-level declaration";
            problems.push({ ...c, reason: `${what} ${c.symbol} is not declared in ${c.file} at ${pin.version}` });
        }
    }
    return problems;
}

export function formatProblems(problems: Problem[]): string {
    return problems.map((p) => `  ${p.doc}:${p.line}: \`${p.raw}\`: ${p.reason}`).join("\n");
}
