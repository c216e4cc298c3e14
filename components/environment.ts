// The whole flow, one child per step: bundle -> image -> storage -> wrapper
// -> prepare -> verify, and the host report; with nerdctl/src, the step that
// puts its nerdctl into the running wrapper.
import * as pulumi from "@pulumi/pulumi";
import { BundleVersions, Settings } from "./settings/types";
import { Bundle } from "./bundle";
import { WrapperImage } from "./image";
import { Storage } from "./storage";
import { Wrapper } from "./wrapper";
import { Prepare } from "./prepare";
import { ImageEntry, Verify } from "./verify";
import { HostReport } from "./report";
import { NerdctlFromSource } from "./nerdctl-source";
import { HostImages } from "./host-images";
import { Registries } from "./registries";
import { stackContext } from "./context";

export class NerdctlEnvironment extends pulumi.ComponentResource {
    readonly containerName: pulumi.Output<string>;
    readonly imageName: pulumi.Output<string>;
    readonly imageId: pulumi.Output<string>;
    readonly storageDir: string;
    /** What the bundle is built with: the settings, and the nerdctl release's pins where they leave one unset. */
    readonly versions: BundleVersions;
    /** nerdctl with our patch series for its release, as released (and why), or from nerdctl/src. */
    readonly nerdctlBuild: string;
    readonly prepareReport: pulumi.Output<string>;
    /** configure.sh's report: files written, endpoints checked, containerd restarts. */
    readonly registriesReport: pulumi.Output<string>;
    /** `nerdctl images` as printed. */
    readonly imageTable: pulumi.Output<string>;
    readonly imageList: pulumi.Output<ImageEntry[]>;
    readonly hostReport: pulumi.Output<string>;
    readonly probe: pulumi.Output<string>;
    readonly iptablesBackend: pulumi.Output<string>;
    readonly storageLayout: pulumi.Output<string>;

    constructor(name: string, s: Settings, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:NerdctlEnvironment", name, {}, opts);
        const ctx = stackContext(s, this);
        const parent = { parent: this };
        const step = (what: string) => `${name}-${what}`;

        const bundle = new Bundle(step("bundle"), ctx, parent);
        const image = new WrapperImage(step("image"), ctx, bundle, parent);
        const storage = new Storage(step("storage"), ctx, image.image.resource, parent);
        const wrapper = new Wrapper(step("wrapper"), ctx, image.imageId, storage, parent);
        const wrapperId = wrapper.container.id;
        if (bundle.fromSource) new NerdctlFromSource(step("nerdctl-src"), ctx, bundle, wrapperId, parent);
        const prepare = new Prepare(step("prepare"), ctx, wrapperId, parent);
        const registries = new Registries(step("registries"), ctx, wrapperId, { parent: this, dependsOn: [prepare] });
        const hostImages = s.sources.hostImages.length === 0
            ? undefined
            : new HostImages(step("host-images"), ctx, wrapperId, { parent: this, dependsOn: [prepare, registries] });
        const verify = new Verify(step("verify"), ctx, [wrapperId, prepare.report, ...(hostImages ? [hostImages.report] : [])],
            { parent: this, dependsOn: [registries] });
        const report = new HostReport(step("report"), ctx, wrapperId, { parent: this, dependsOn: [prepare] });

        this.containerName = wrapper.container.name;
        this.imageName = image.imageName;
        this.imageId = image.imageId;
        this.storageDir = storage.dir;
        this.versions = bundle.versions;
        this.nerdctlBuild = bundle.nerdctlBuild;
        this.prepareReport = prepare.report;
        this.registriesReport = registries.report;
        this.imageTable = verify.imageTable;
        this.imageList = verify.imageList;
        this.hostReport = report.text;
        this.probe = verify.probe;
        this.iptablesBackend = verify.iptablesBackend;
        this.storageLayout = verify.storageLayout;
        this.registerOutputs({
            containerName: this.containerName, imageName: this.imageName, imageId: this.imageId,
            storageDir: this.storageDir, imageList: this.imageList,
        });
    }
}
