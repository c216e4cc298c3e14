# The common verbs. STACK=name picks or creates a per-developer stack.
STACK ?= dev

export NDIND_CACHE ?= $(HOME)/.cache/nerdctl-dind
PULUMI_VERSION := $(shell node -p "require('./package.json').dependencies['@pulumi/pulumi']")
# The Pulumi CLI built into the cache goes first, unless toolchain/pulumi-cli.sh
# found one of the user's own at or above the pin ("path" in its note).
# Go's usual install folder last, for shells whose profile did not add it.
ifeq ($(firstword $(shell cat '$(NDIND_CACHE)/pulumi/use' 2>/dev/null)),path)
export PATH := $(PATH):/usr/local/go/bin
else
export PATH := $(NDIND_CACHE)/pulumi/v$(PULUMI_VERSION)/bin:$(PATH):/usr/local/go/bin
endif
# State stays on this machine, in the checkout (git-ignored); no Pulumi Cloud.
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.state
# An empty passphrase keeps runs unattended; set your own before storing real
# credentials (registryAuth, proxies with a password): secrets are encrypted with it.
export PULUMI_CONFIG_PASSPHRASE ?=
# Pulumi fetches missing plugins by itself only where toolchain/plugins.sh found
# that it can (the real docker and command plugins installed); elsewhere each
# attempt would wait on a network that is not there.
ifneq ($(lastword $(shell cat '$(or $(PULUMI_HOME),$(HOME)/.pulumi)/nerdctl-dind-plugins' 2>/dev/null)),installed)
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
endif
export PULUMI_SKIP_UPDATE_CHECK := true
# Type checking is `make test-unit`'s job (tsc); each Pulumi run only transpiles.
export PULUMI_NODEJS_TRANSPILE_ONLY := true

PULUMI := pulumi --non-interactive --stack $(STACK)

.PHONY: load registry registry-stop toolchain plugins stack up preview destroy purge test test-unit test-provider test-nerdctl test-e2e shell doctor bench repro-unpatched nerdctl-src nerdctl-patches test-upstream

# Also the state folder, which every target that runs pulumi needs (a fresh checkout has none).
toolchain:
	@sh toolchain/install.sh
	@mkdir -p .state

# Asks again whether the real docker and command plugins can be installed
# (make toolchain keeps a "cannot" answer until package.json's pins change).
plugins: toolchain
	@NDIND_PLUGINS_PROBE=1 sh toolchain/plugins.sh

# Selects or creates the stack; a new one gets its provider and base image
# chosen once, printed (toolchain/stack.sh).
stack: toolchain
	@sh toolchain/stack.sh $(STACK)

up: stack
	$(PULUMI) up --yes --skip-preview

preview: stack
	$(PULUMI) preview --diff

destroy: stack
	$(PULUMI) destroy --yes --skip-preview

# Destroy and delete the stored images and the wrapper image too: the one
# verb that loses them. The setting is only for this destroy.
# The image (output imageName: the tag is the stack's name in lower case) is
# removed from the stack's engine (output dockerEnv), both read before the
# destroy empties the outputs.
purge: stack
	$(PULUMI) config set destroyDeletesStorage true
	$(PULUMI) up --yes --skip-preview
	engine=$$($(PULUMI) stack output dockerEnv) && image=$$($(PULUMI) stack output imageName) && \
	$(PULUMI) destroy --yes --skip-preview && \
	$(PULUMI) config rm destroyDeletesStorage && \
	{ env $$engine docker rmi "$$image" || :; }

# Host images into the stack's containerd: make load IMAGE="busybox:ndind alpine:3.18".
load:
	@[ -n "$(IMAGE)" ] || { echo 'usage: make load IMAGE="name[ name...]" [STACK=...]' >&2; exit 2; }
	@env $$($(PULUMI) stack output dockerEnv 2>/dev/null) sh toolchain/load-images.sh nerdctl-dind-$(STACK) $(IMAGE)

# The local registry shared by the stacks of this Docker host (localRegistry: true).
# REGISTRY_PORT=5000 is its host port on 127.0.0.1; its images stay in lib/.registry.
registry: toolchain
	@sh toolchain/local-registry.sh start

registry-stop:
	@sh toolchain/local-registry.sh stop

# On the stack's engine, wherever it is.
shell:
	env $$($(PULUMI) stack output dockerEnv) docker exec -it nerdctl-dind-$(STACK) sh

# The port-mapping reproductions against nerdctl 1.5.0 as released: they
# must fail there (CI runs them on our patched build, where they pass).
repro-unpatched: toolchain
	@sh tests/portmap/run-unpatched.sh

# nerdctl/src: a git checkout of the pinned nerdctl with our patches as
# commits; while it exists the bundle is built from it, edits included.
nerdctl-src:
	@sh nerdctl/src.sh

# Its commits after the base, written back as nerdctl/patches/<version>/NNNN-*.patch.
nerdctl-patches:
	@sh nerdctl/patches.sh

# The host report, run on this machine against the stack's storage folder.
doctor:
	@sh scripts/doctor.sh $(CURDIR)/lib/$(STACK)/containerd

test: toolchain test-unit test-provider test-nerdctl test-upstream test-e2e

test-unit:
	npx tsc --noEmit -p .
	npx mocha --timeout 30000 'tests/unit/**/*.test.ts'

# PROVIDER=pulumi runs the suite on @pulumi/docker and @pulumi/command.
test-e2e: export PROVIDER ?= ndind
test-e2e:
	npx mocha --timeout 1800000 'tests/e2e/**/*.test.ts'

# Our provider plugin's own tests (diff rules, commands, docker calls against a fake docker).
test-provider:
	cd provider && GOFLAGS="-mod=mod -buildvcs=false" go test -count=1 ./...

# nerdctl's own integration tests in a throwaway stack: TESTS=regex (default:
# port mapping and networks), PATCHES=none for nerdctl as released.
test-upstream: toolchain
	@sh tests/upstream/run.sh

# nerdctl's own unit tests for the packages our patches touch, patched tree.
test-nerdctl:
	GOTEST_FLAGS=-count=1 sh nerdctl/unit-test.sh

bench: toolchain
	@sh bench/run.sh
