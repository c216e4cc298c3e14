// What validation cannot see without touching the disk or the engine, run
// once the settings are well-formed and before any resource exists: the
// storage folder can be written and is this stack's, the preload files are
// there, the TLS material is in place for the docker CLI, and a remote engine
// answers. Each problem names the setting (or the engine) and the fix. The
// engine's architecture is asked here too: the bundle is made for it.
import * as fs from "fs";
import * as path from "path";
import { archOf, archProblem, cacheDir, localArch, probeEngine, writeTls } from "../engine";
import { OWNER_FILE, Settings, SettingsError, STORAGE_IMAGE_FILE, StorageLayout } from "./types";

/** The local files the settings name: the storage folder and the preload tarballs. */
export function localProblems(s: Settings): string[] {
    const key = (name: string) => `${s.project}:${name}`;
    const problems = s.engine.remote ? [] : [
        ...storageProblems(s.storageDir, `${s.project}/${s.stack}`, key("storageDir")),
        ...layoutProblems(s.storageDir, s.storageLayout, key("storageLayout")),
    ];
    s.preload.forEach((file, i) => {
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
            problems.push(`${key("preload")}[${i}] is "${file}": no such file; give the path of an image tarball made by docker save or nerdctl save`);
        }
    });
    return problems;
}

function storageProblems(dir: string, owner: string, key: string): string[] {
    if (!fs.existsSync(path.dirname(dir))) {
        return [`${key} is "${dir}": its parent folder ${path.dirname(dir)} does not exist; create it first`];
    }
    const writable = fs.existsSync(dir) ? dir : path.dirname(dir);
    // A real write, since access(2) says yes to root even where writes fail.
    try {
        fs.rmdirSync(fs.mkdtempSync(path.join(writable, ".ndind-probe-")));
    } catch {
        return [`${key} is "${dir}": ${writable} is not writable; give a folder this user can write to`];
    }
    const ownerFile = path.join(dir, OWNER_FILE);
    const holder = fs.existsSync(ownerFile) ? fs.readFileSync(ownerFile, "utf8").trim() : owner;
    return holder === owner ? [] : [`${key} is "${dir}": that folder holds the images of stack ${holder}; give this stack a folder of its own`];
}

/**
 * A layout that would hide the images the folder holds in the other one is
 * refused (scripts/storage.sh refuses it too, for remote engines): nothing
 * moves images between the layouts.
 */
export function layoutProblems(dir: string, layout: StorageLayout, key: string): string[] {
    const containerd = path.join(dir, "containerd");
    const entries = fs.existsSync(containerd) ? fs.readdirSync(containerd) : [];
    const image = entries.includes(STORAGE_IMAGE_FILE);
    const folderData = entries.some((e) => e !== STORAGE_IMAGE_FILE && e !== `${STORAGE_IMAGE_FILE}.new`);
    if (layout === "folder" && image) {
        return [`${key} is "folder", but ${path.join(containerd, STORAGE_IMAGE_FILE)} holds this stack's images (layout image); ` +
            `set it to auto or image, or save the images (nerdctl save) and make purge first`];
    }
    if (layout === "image" && !image && folderData) {
        return [`${key} is "image", but ${containerd} holds this stack's images in the folder layout; ` +
            `set it to auto or folder, or save the images (nerdctl save) and make purge first`];
    }
    return [];
}

/**
 * The whole preflight. Returns the settings the steps use: for a tcp://
 * engine with TLS, the engine names the folder the material was written to.
 */
export function preflight(s: Settings): Settings {
    const local = localProblems(s);
    if (local.length > 0) throw new SettingsError(local);
    if (!s.engine.remote) {
        // One docker call; an engine that does not answer fails later, at the build, as before.
        const answer = localArch(s.engine.ref);
        if (answer === undefined) return s;
        const arch = archOf(answer);
        if (arch === undefined) throw new SettingsError([archProblem(s.engine.name, answer)]);
        return arch === s.engine.arch ? s : Object.freeze({ ...s, engine: Object.freeze({ ...s.engine, arch }) });
    }
    const engine = s.tls
        ? { ...s.engine, ref: { ...s.engine.ref, dockerCertPath: writeTls(cacheDir(), s.project, s.stack, s.tls) } }
        : s.engine;
    // Cheap and bounded (one ssh or docker call, 10 s at most), so a wrong host fails at preview.
    const probed = probeEngine(engine);
    if ("problem" in probed) throw new SettingsError([probed.problem]);
    return Object.freeze({ ...s, engine: Object.freeze({ ...engine, arch: probed.arch }) });
}
