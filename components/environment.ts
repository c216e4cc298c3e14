// The whole flow, one child per step: bundle -> image -> storage -> wrapper
// -> prepare -> verify, and the host report; with nerdctl/src, the step that
// puts its nerdctl into the running wrapper.
import * as pulumi from "@pulumi/pulumi";
import { Settings, Versions } from "./config";
import { Bundle } from "./bundle";
import { WrapperImage } from "./image";
import { Storage } from "./storage";
import { Wrapper } from "./wrapper";
import { Prepare } from "./prepare";
import { ImageEntry, Verify } from "./verify";
import { HostReport } from "./report";
import { NerdctlFromSource } from "./nerdctl-source";
import { containerName, imageName, SHARED_NETWORK } from "./names";
import { HostImages } from "./host-images";
import { Registries } from "./registries";
import { providersFor } from "./providers";

export class NerdctlEnvironment extends pulumi.ComponentResource {
    readonly containerName: pulumi.Output<string>;
    readonly imageName: pulumi.Output<string>;
    readonly imageId: pulumi.Output<string>;
    readonly storageDir: string;
    readonly versions: Versions;
    /** nerdctl with our patch series for its release, as released (and why), or from nerdctl/src. */
    readonly nerdctlBuild: string;
    readonly prepareReport: pulumi.Output<string>;
    /** configure.sh's report: files written, endpoints checked, containerd restarts. */
    readonly registriesReport: pulumi.Output<string>;
    readonly imagesText: pulumi.Output<string>;
    readonly images: pulumi.Output<ImageEntry[]>;
    readonly hostReport: pulumi.Output<string>;
    readonly probe: pulumi.Output<string>;
    readonly iptablesBackend: pulumi.Output<string>;

    constructor(name: string, s: Settings, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:NerdctlEnvironment", name, {}, opts);
        const parent = { parent: this };
        const wrapperName = containerName(s.stack);
        const providers = providersFor(s.provider, s.engine.ref, this);

        const bundle = new Bundle(`${name}-bundle`, {
            providers, projectRoot: s.projectRoot, versions: s.versions, nerdctlPatches: s.nerdctlPatches, buildkit: s.buildkit,
        }, parent);
        const image = new WrapperImage(`${name}-image`, {
            providers, projectRoot: s.projectRoot, name: imageName(s.stack), baseImage: s.baseImage, bundle, engine: s.engine,
        }, parent);
        const storage = new Storage(`${name}-storage`, {
            providers, dir: s.storageDir, owner: `${s.project}/${s.stack}`, deleteOnDestroy: s.destroyDeletesStorage,
            engine: s.engine, image: imageName(s.stack), imageBuild: image.image.resource,
        }, parent);
        // A remote engine's host cannot see local tarballs: prepare streams them instead.
        const wrapper = new Wrapper(`${name}-wrapper`, {
            providers, name: wrapperName, image: image.imageId, storage, ports: s.ports, preload: s.engine.remote ? [] : s.preload,
            privileged: s.privileged, iptablesBackend: s.iptablesBackend, network: s.sources.localRegistry ? SHARED_NETWORK : undefined,
        }, parent);
        if (bundle.fromSource) {
            new NerdctlFromSource(`${name}-nerdctl-src`, {
                providers, projectRoot: s.projectRoot, container: wrapperName, bundle, wrapperId: wrapper.container.id, engine: s.engine.ref,
            }, parent);
        }
        const prepare = new Prepare(`${name}-prepare`, {
            providers, container: wrapperName, engine: s.engine, wrapperId: wrapper.container.id, preload: s.preload,
            projectRoot: s.projectRoot,
        }, parent);
        const registries = new Registries(`${name}-registries`, {
            providers, container: wrapperName, engine: s.engine.ref, wrapperId: wrapper.container.id, sources: s.sources, project: s.project,
        }, { parent: this, dependsOn: [prepare] });
        const hostImages = s.sources.hostImages.length === 0 ? undefined : new HostImages(`${name}-host-images`, {
            providers, projectRoot: s.projectRoot, container: wrapperName, images: s.sources.hostImages, engine: s.engine,
            wrapperId: wrapper.container.id, setting: `${s.project}:hostImages`,
        }, { parent: this, dependsOn: [prepare, registries] });
        const verify = new Verify(`${name}-verify`, {
            providers, container: wrapperName, engine: s.engine.ref,
            triggers: [wrapper.container.id, prepare.report, ...(hostImages ? [hostImages.report] : [])],
        }, { parent: this, dependsOn: [registries] });
        const report = new HostReport(`${name}-report`, {
            providers, container: wrapperName, engine: s.engine.ref, wrapperId: wrapper.container.id,
        }, { parent: this, dependsOn: [prepare] });

        this.containerName = wrapper.container.name;
        this.imageName = image.imageName;
        this.imageId = image.imageId;
        this.storageDir = storage.dir;
        this.versions = s.versions;
        this.nerdctlBuild = bundle.nerdctlBuild;
        this.prepareReport = prepare.report;
        this.registriesReport = registries.report;
        this.imagesText = verify.imagesText;
        this.images = verify.images;
        this.hostReport = report.text;
        this.probe = verify.probe;
        this.iptablesBackend = verify.iptablesBackend;
        this.registerOutputs({
            containerName: this.containerName, imageName: this.imageName, imageId: this.imageId,
            storageDir: this.storageDir, images: this.images,
        });
    }
}
