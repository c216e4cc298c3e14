// The typed, validated settings every step reads (StackContext.settings),
// and the error that names each bad one.
import * as pulumi from "@pulumi/pulumi";
import { Engine, TlsMaterial } from "../engine";
import { PluginSet } from "../plugins/kinds";
import { ImageSources } from "./image-sources";

export const IPTABLES_BACKENDS = ["auto", "legacy", "nft"] as const;
export type IptablesBackend = typeof IPTABLES_BACKENDS[number];
export const FORWARD_MODES = ["loopback", "asked", "off"] as const;
export type ForwardMode = typeof FORWARD_MODES[number];
export const STORAGE_LAYOUTS = ["auto", "folder", "image"] as const;
export type StorageLayout = typeof STORAGE_LAYOUTS[number];

/** The stack's versions; "" for cniPlugins and buildkit: what the nerdctl release pins. */
export interface Versions {
    containerd: string;
    runc: string;
    cniPlugins: string;
    nerdctl: string;
    buildkit: string;
}

/** The versions the bundle is built with, the release's pins filled in (no buildkit when it is left out): the versions output. */
export interface BundleVersions {
    containerd: string;
    runc: string;
    cniPlugins: string;
    nerdctl: string;
    buildkit?: string;
    tini: string;
}

export interface PortMapping {
    hostIp: string;
    hostPort: number;
    containerPort: number;
    protocol: "tcp" | "udp";
}

export interface Settings {
    project: string;
    stack: string;
    projectRoot: string;
    /** Which plugins make the resources: @pulumi/docker + @pulumi/command, or our own twin of them. */
    plugins: PluginSet;
    baseImage: string;
    versions: Versions;
    nerdctlPatches: boolean;
    /** BuildKit (buildkitd + buildctl) in the bundle, for nerdctl build and compose build. */
    buildkit: boolean;
    storageDir: string;
    /** How the folder holds the images (scripts/storage.sh chooses for auto at every start). */
    storageLayout: StorageLayout;
    /** The image layout's most, as storage.sh reads it: NUMBER[M|G|T]. */
    storageImageSize: string;
    /** Percent of the storage's filesystem below which status and the host report warn (0: never). */
    storageMinFree: number;
    /** Where the forwarder (forward/) listens for inner published ports, or off. */
    forwards: ForwardMode;
    ports: PortMapping[];
    preload: string[];
    destroyDeletesStorage: boolean;
    privileged: boolean;
    /** How the wrapper picks its iptables backend: by trying each (auto), or the one named. */
    iptablesBackend: IptablesBackend;
    /** Where every docker call goes; storageDir is a folder on that engine's host. */
    engine: Engine;
    /** tcp:// engines: the client certificate, CA and key (secrets; written to a private folder by the preflight). */
    tls?: TlsMaterial;
    /** Host images, registries, proxies and the local registry. */
    sources: ImageSources;
}

/** The image layout's file, in the folder's containerd/ (scripts/storage.sh names it too). */
export const STORAGE_IMAGE_FILE = "nerdctl-dind.ext4";

/** Written into the storage folder so that no two stacks share one. */
export const OWNER_FILE = ".nerdctl-dind-owner";

export class SettingsError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
}
