// Reads the stack's settings and wires the environment; outputs are what a
// user would otherwise dig for.
import { loadSettings } from "./components/settings/load";
import { NerdctlEnvironment } from "./components/environment";
import { engineEnv } from "./components/engine";

const settings = loadSettings(__dirname);
const env = new NerdctlEnvironment("nerdctl-dind", settings);

export const containerName = env.containerName;
export const imageName = env.imageName;
export const imageId = env.imageId;
export const storageDir = env.storageDir;
export const versions = env.versions;
/** The engine's architecture, which the bundle, the tools, the probe image and the base are made for. */
export const engineArch = settings.engine.arch;
export const nerdctlBuild = env.nerdctlBuild;
export const ports = settings.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`);
/** Where the stack's forwarder listens for inner published ports (read by forward/'s start). */
export const forwards = settings.forwards;
export const prepareReport = env.prepareReport;
export const registriesReport = env.registriesReport;
export const imageTable = env.imageTable;
export const imageList = env.imageList;
export const hostReport = env.hostReport;
/** What verify proved: an inner container started and its published port answered. */
export const probe = env.probe;
export const iptablesBackend = env.iptablesBackend;
/** How the storage folder holds the images (folder, or an image file for shared folders), why, and the sizes. */
export const storageLayout = env.storageLayout;
/** The variables that point docker at the stack's engine (empty: the local one); no secrets, only paths. */
export const dockerEnv = Object.entries(engineEnv(settings.engine.ref)).map(([k, v]) => `${k}=${v}`).join(" ");
const prefix = dockerEnv ? `${dockerEnv} ` : "";
export const shellCommand = env.containerName.apply((n) => `${prefix}docker exec -it ${n} sh`);
export const nerdctlCommand = env.containerName.apply((n) => `${prefix}docker exec -it ${n} nerdctl`);
