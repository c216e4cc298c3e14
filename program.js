// The program's entry point (package.json "main"): index.ts, loaded through
// a require hook that transpiles each .ts file once per content and keeps
// the JavaScript in $NDIND_CACHE/program/. Pulumi's own TypeScript support
// (runtime option typescript: true) runs ts-node, which type-checks the
// whole program at every run; the compiler is loaded here only when a file
// changed. Measured on a 20-resource stack's no-change pulumi preview
// (medians of 5, alternated): 2.84 s with ts-node, 1.79 s with ts-node
// transpile-only, 1.82 s with this hook alone, 1.59 s with the stub below.
// Type checking is tsc's job: make lint and make test-unit.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const cacheDir = path.join(process.env.NDIND_CACHE || path.join(os.homedir(), ".cache", "nerdctl-dind"), "program");
const tsconfigFile = path.join(__dirname, "tsconfig.json");
const tsconfigText = fs.readFileSync(tsconfigFile, "utf8");
// What else decides the output: the compiler's version, its options and this
// file (which sets some of them).
const salt = `${require("typescript/package.json").version}\n${tsconfigText}\n${fs.readFileSync(__filename, "utf8")}\n`;
const sha = (text) => crypto.createHash("sha256").update(text).digest("hex");

let compiler; // loaded on the first file that changed
function transpile(source, filename) {
    if (!compiler) {
        const ts = require("typescript");
        const parsed = ts.parseConfigFileTextToJson(tsconfigFile, tsconfigText);
        if (parsed.error) throw new Error(`${tsconfigFile}: ${ts.flattenDiagnosticMessageText(parsed.error.messageText, "\n")}`);
        // Inline source maps: stack traces name the .ts lines.
        const compilerOptions = { ...parsed.config.compilerOptions, sourceMap: false, inlineSourceMap: true, inlineSources: true };
        // A syntax error stops the run, named by its .ts file and line, as
        // ts-node's transpile-only mode did (types are tsc's job).
        compiler = (text, file) => {
            const out = ts.transpileModule(text, { compilerOptions, fileName: file, reportDiagnostics: true });
            const errors = (out.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
            if (errors.length) {
                throw new Error(errors.map((d) => {
                    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start || 0);
                    return `${file}:${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
                }).join("\n"));
            }
            return out.outputText;
        };
    }
    return compiler(source, filename);
}

// One cache file per source file (named by its path), its last line the
// key of the content it was made from (the first would shift the source
// map's lines): a changed file overwrites its entry, so the cache never holds
// more than the tree.
require.extensions[".ts"] = (module, filename) => {
    const source = fs.readFileSync(filename, "utf8");
    const key = `\n// ${sha(salt + filename + "\n" + source)}\n`;
    const entry = path.join(cacheDir, `${path.basename(filename, ".ts")}-${sha(filename).slice(0, 16)}.js`);
    let js;
    try {
        js = fs.readFileSync(entry, "utf8");
    } catch {
        js = "";
    }
    if (!js.endsWith(key)) {
        js = transpile(source, filename) + key;
        // Written whole, then renamed: runs at the same time never read half a file.
        fs.mkdirSync(cacheDir, { recursive: true });
        const tmp = `${entry}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, js);
        fs.renameSync(tmp, entry);
    }
    module._compile(js, filename);
};
process.setSourceMapsEnabled(true);

// @pulumi/pulumi loads @npmcli/arborist (npm's dependency tree) at its
// import, for serializing closures (runtime/closure/codePaths.js), which this
// program never does: about 0.3 s of each no-change preview here (measured:
// median 1.84 s without this, 1.55 s with it). It stands in the module cache
// as a stub that loads the real module at its first use, so a use gives what
// it gave before: the importer (TypeScript's __importStar) keeps the stub as
// it is, since it says __esModule, and every property read goes through get.
// Where @pulumi/pulumi no longer depends on it, nothing is stubbed.
let arborist;
try {
    arborist = require.resolve("@npmcli/arborist", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] });
} catch {
    arborist = undefined;
}
if (arborist && !require.cache[arborist]) {
    let real;
    const load = () => {
        if (!real) {
            delete require.cache[arborist];
            real = require(arborist);
        }
        return real;
    };
    const stub = new Proxy({}, {
        get: (_, key) => (key === "__esModule" ? true : load()[key]),
        has: (_, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_, key) => {
            const d = Object.getOwnPropertyDescriptor(load(), key);
            return d && { ...d, configurable: true };
        },
    });
    require.cache[arborist] = { id: arborist, filename: arborist, loaded: true, exports: stub, children: [], paths: [] };
}

module.exports = require("./index.ts");
