// make format / make lint: the TypeScript formatter, TypeScript's own (the
// one editors run on "format document"), so the project needs no other
// package. It sets indentation and spacing and leaves line breaks where the
// author put them.
//   ts-node -T tools/format.ts --check   names the files it would change; exit 1 if any
//   ts-node -T tools/format.ts --write   changes them
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..");

const SETTINGS: ts.FormatCodeSettings = {
    ...ts.getDefaultFormatCodeSettings("\n"),
    indentSize: 4,
    tabSize: 4,
    convertTabsToSpaces: true,
    indentStyle: ts.IndentStyle.Smart,
    insertSpaceAfterOpeningAndBeforeClosingNonemptyBraces: true,
    insertSpaceAfterFunctionKeywordForAnonymousFunctions: true,
    // Where semicolons go is tsc's business, not the formatter's.
    semicolons: ts.SemicolonPreference.Ignore,
};

/** The text as the formatter would leave it. */
export function formatted(file: string, text: string): string {
    const host: ts.LanguageServiceHost = {
        getCompilationSettings: () => ({}),
        getScriptFileNames: () => [file],
        getScriptVersion: () => "1",
        getScriptSnapshot: (f) => (f === file ? ts.ScriptSnapshot.fromString(text) : undefined),
        getCurrentDirectory: () => ROOT,
        getDefaultLibFileName: () => "lib.d.ts",
        fileExists: (f) => f === file,
        readFile: () => undefined,
    };
    const edits = ts.createLanguageService(host).getFormattingEditsForDocument(file, SETTINGS);
    // From the end backwards, so each edit's offsets still hold.
    return [...edits].sort((a, b) => b.span.start - a.span.start)
        .reduce((t, e) => t.slice(0, e.span.start) + e.newText + t.slice(e.span.start + e.span.length), text);
}

function main(mode: string): void {
    if (mode !== "--check" && mode !== "--write") throw new Error("usage: tools/format.ts --check|--write");
    const files = execFileSync("git", ["ls-files", "*.ts"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter((f) => f !== "");
    const changed = files.filter((f) => {
        const text = fs.readFileSync(path.join(ROOT, f), "utf8");
        const out = formatted(f, text);
        if (out !== text && mode === "--write") fs.writeFileSync(path.join(ROOT, f), out);
        return out !== text;
    });
    if (mode === "--write") {
        console.log(`format: ${changed.length} of ${files.length} files changed${changed.length ? `: ${changed.join(" ")}` : ""}`);
    } else if (changed.length) {
        console.error(`format: not formatted: ${changed.join(" ")} (make format)`);
        process.exit(1);
    } else {
        console.log(`format: ${files.length} files formatted`);
    }
}

if (require.main === module) main(process.argv[2] ?? "");
