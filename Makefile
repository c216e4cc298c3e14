# The common verbs. STACK=name picks or creates a per-developer stack.
STACK ?= dev

export NDIND_CACHE ?= $(HOME)/.cache/nerdctl-dind
# package.json's pin, read by sed: make parses this file before every verb.
PULUMI_VERSION := $(shell sed -n 's|^ *"@pulumi/pulumi": *"\([^"]*\)".*|\1|p' package.json)
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
# Secrets (registry passwords, proxy credentials, TLS keys) are encrypted with
# your PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE if you set one;
# otherwise with a random passphrase of yours that make toolchain keeps outside
# the checkout (toolchain/passphrase.sh, NDIND_PASSPHRASE_FILE in toolchain/lib.sh
# names the same path). Nothing to type. An empty PULUMI_CONFIG_PASSPHRASE
# counts as none: anyone can derive it.
ifeq ($(PULUMI_CONFIG_PASSPHRASE),)
unexport PULUMI_CONFIG_PASSPHRASE
ifeq ($(PULUMI_CONFIG_PASSPHRASE_FILE),)
export PULUMI_CONFIG_PASSPHRASE_FILE := $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/nerdctl-dind/passphrase
endif
endif
# Pulumi fetches missing plugins by itself only where toolchain/plugins.sh found
# that it can (the real docker and command plugins installed); elsewhere each
# attempt would wait on a network that is not there.
ifneq ($(lastword $(shell cat '$(or $(PULUMI_HOME),$(HOME)/.pulumi)/nerdctl-dind-plugins' 2>/dev/null)),installed)
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
endif
export PULUMI_SKIP_UPDATE_CHECK := true

PULUMI := pulumi --non-interactive --stack $(STACK)
# The port forwarder make toolchain builds (toolchain/forward.sh).
FORWARD := $(CURDIR)/forward/out/ndind-forward

# A bare `make` lists the verbs; it installs nothing.
.DEFAULT_GOAL := help

# This list: every target with a "## what it does" on its line.
help: ## this list
	@echo "make VERB [STACK=name]   (STACK defaults to dev)"
	@awk -F':.*## ' '/^[a-z][a-z0-9-]*:.*## / { printf "  make %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# TypeScript's own formatter (tools/format.ts): indentation and spacing.
format: ## format the TypeScript files (make lint checks it)
	@npx ts-node -T tools/format.ts --write

# Checks without running anything (tools/lint.sh): shell syntax and
# shellcheck, TypeScript types and format, gofmt and go vet, file sizes.
lint: ## shell syntax, shellcheck, TypeScript types and format, gofmt, go vet, file sizes; runs nothing
	@sh tools/lint.sh

.PHONY: help format lint settings trim prune binfmt load registry registry-stop toolchain plugins stack stack-steps early-build up up-locked preview destroy destroy-locked purge purge-locked test test-unit test-provider test-nerdctl test-e2e test-arm64 shell doctor bench repro-unpatched repro-table nerdctl-src nerdctl-patches test-upstream test-upstream-2

# Pulumi.yaml's config block and the README's settings table, from the one
# declaration of every setting (a unit test fails when they differ).
settings: ## write Pulumi.yaml's settings and the README's table from components/settings/catalog.ts
	@npx ts-node -T tools/settings.ts

# Also the state folder, which every target that runs pulumi needs (a fresh checkout has none).
# toolchain/stamp.sh runs the script only when something it reads or makes
# has changed since its last run (NDIND_STAMPS=off: every time). One toolchain
# run at a time on this machine (toolchain/lock.sh): they share the cache and
# npm's folder, and a second then finds the first's stamp.
toolchain: ## install and start what the project needs (first run: minutes; then seconds)
	@mkdir -p .state
	@sh toolchain/lock.sh toolchain "make toolchain in $(CURDIR)" -- sh toolchain/stamp.sh toolchain -- sh toolchain/install.sh

# Asks again whether the real docker and command plugins can be installed
# (make toolchain keeps a "cannot" answer until package.json's pins change).
plugins: toolchain ## ask again whether the real docker and command plugins can be installed
	@NDIND_PLUGINS_PROBE=1 sh toolchain/plugins.sh

# Selects or creates the stack; a new one gets its plugins and base image
# chosen once, printed (toolchain/stack.sh); a stack still under the empty
# passphrase make used before is moved to yours. First, a lock left by a
# pulumi killed mid-update is cleared (toolchain/stale-lock.sh).
stack: toolchain stack-steps ## select or create STACK, choosing its plugins and base image once

stack-steps:
	@sh toolchain/stale-lock.sh $(STACK)
	@sh toolchain/stamp.sh stack $(STACK) -- sh toolchain/stack.sh $(STACK)

# One verb that changes a stack at a time (toolchain/lock.sh): a second make
# up of the stack waits for the first, saying which runs, instead of meeting
# Pulumi's "the stack is currently locked". It takes the lock before make
# stack, which a verb started at the same moment would also run.
ONE_AT_A_TIME = sh toolchain/lock.sh "stack $(STACK) of $(PULUMI_BACKEND_URL)" "make $@ STACK=$(STACK)" -- \
	$(MAKE) --no-print-directory $@-locked STACK='$(STACK)'

# With nerdctl/src, its Go build starts first, beside make stack and Pulumi's
# start (nerdctl/early-build.sh); up ends when that build has.
# Then the stack's port forwarder (forward/, README: Port mapping), started
# or kept: every port an inner container publishes answers on this machine.
up: early-build toolchain ## bring STACK up: bundle, image, storage, wrapper, prepare, verify, forwarder
	@$(ONE_AT_A_TIME)

up-locked: stack-steps
	@$(PULUMI) up --yes --skip-preview; rc=$$?; sh nerdctl/early-build.sh --wait; \
	[ $$rc -ne 0 ] || $(FORWARD) start --stack '$(STACK)' --root '$(CURDIR)' || rc=$$?; exit $$rc

early-build:
	@sh nerdctl/early-build.sh $(STACK) &

preview: stack ## what a settings change would do (pulumi preview --diff)
	$(PULUMI) preview --diff

destroy: toolchain ## remove the wrapper; the stored images stay in the storage folder
	@$(ONE_AT_A_TIME)

destroy-locked: stack-steps
	$(FORWARD) stop --stack '$(STACK)' --root '$(CURDIR)'
	$(PULUMI) destroy --yes --skip-preview

# Destroy and delete the stored images and the wrapper image too: the one
# verb that loses them. The setting is only for this destroy.
# The image (output imageName: the tag is the stack's name in lower case) is
# removed from the stack's engine (output dockerEnv), both read before the
# destroy empties the outputs.
purge: toolchain ## destroy and delete the stored images and the wrapper image too
	@$(ONE_AT_A_TIME)

purge-locked: stack-steps
	$(PULUMI) config set destroyDeletesStorage true
	$(PULUMI) up --yes --skip-preview
	engine=$$($(PULUMI) stack output dockerEnv) && image=$$($(PULUMI) stack output imageName) && \
	$(FORWARD) stop --stack '$(STACK)' --root '$(CURDIR)' && \
	$(PULUMI) destroy --yes --skip-preview && \
	$(PULUMI) config rm destroyDeletesStorage && \
	{ env $$engine docker rmi "$$image" || :; }

# Foreign-architecture images in the wrapper (nerdctl run/build --platform):
# Debian's qemu-user-static registered in this machine's kernel with the F
# flag. The engine checked is STACK's when STACK is given, else the
# environment's; a remote, Docker Desktop or VM engine is refused, naming why.
binfmt: ## let wrappers run foreign-arch images: register Debian's qemu-user-static (F flag) on this Linux host
	@sh toolchain/binfmt.sh $(if $(filter command line environment,$(origin STACK)),$(STACK))

# Host images into the stack's containerd: make load IMAGE="busybox:ndind alpine:3.18".
load: ## copy host images into the stack: make load IMAGE="busybox:ndind"
	@[ -n "$(IMAGE)" ] || { echo 'usage: make load IMAGE="name[ name...]" [STACK=...]' >&2; exit 2; }
	@env $$($(PULUMI) stack output dockerEnv 2>/dev/null) sh toolchain/load-images.sh "$$($(PULUMI) stack output containerName)" $(IMAGE)

# The local registry shared by the stacks of this Docker host (localRegistry: true).
# REGISTRY_PORT=5000 is its host port on 127.0.0.1; its images stay in lib/.registry.
registry: toolchain ## start the local registry the stacks of this host share
	@sh toolchain/local-registry.sh start

registry-stop: ## stop the shared local registry (its images stay)
	@sh toolchain/local-registry.sh stop

# On the stack's engine, wherever it is; names from the stack's outputs
# (components/names.ts makes them), never rebuilt here.
shell: ## a shell in the wrapper, on the stack's engine
	env $$($(PULUMI) stack output dockerEnv) docker exec -it "$$($(PULUMI) stack output containerName)" sh

# The port-mapping reproductions against nerdctl 1.5.0 as released: they
# must fail there (CI runs them on our patched build, where they pass).
repro-unpatched: toolchain ## the port-mapping reproductions on nerdctl 1.5.0 as released (they fail there)
	@sh tests/portmap/run-unpatched.sh

# The same reproductions on 1.5.0 as released, 1.5.0 with our patches and
# nerdctl 2.1.3, one table (REPRO_BUILDS="1.5.0 1.5.0-patched 2.1.3 2.2.0").
repro-table: toolchain ## the network reproductions on several releases, one table of bug present / fixed
	@sh tests/portmap/run-table.sh

# nerdctl/src: a git checkout of the pinned nerdctl with our patches as
# commits; while it exists the bundle is built from it, edits included.
nerdctl-src: ## nerdctl/src: an editable nerdctl tree the bundle is built from
	@sh nerdctl/checkout-src.sh

# Its commits after the base, written back as nerdctl/patches/<version>/NNNN-*.patch.
nerdctl-patches: ## write nerdctl/src's commits back as the patch series
	@sh nerdctl/patches.sh

# The image layout's file (storageLayout) gives back to the folder what
# deleted images left in it, where the folder's filesystem can punch holes.
trim: ## give back the space deleted images left in the storage image file, and say how much
	@env $$($(PULUMI) stack output dockerEnv) docker exec "$$($(PULUMI) stack output containerName)" /scripts/storage.sh trim

# What builds left (BuildKit's cache records, which hold a failed build's
# snapshots, and the leases they took) given back, the image layout's file
# trimmed, then every stored blob read back against its digest
# (scripts/space.sh). Images and containers are never removed.
prune: ## give back the space builds left (failed ones too), say how much, then check every stored image against its digests
	@e=$$($(PULUMI) stack output dockerEnv) && c=$$($(PULUMI) stack output containerName) && \
	env $$e docker exec "$$c" /scripts/space.sh prune && env $$e docker exec "$$c" /scripts/space.sh check

# The host report, run on this machine against the stack's storage folder.
doctor: ## host report: what this machine has and lacks
	@sh scripts/doctor.sh $(CURDIR)/lib/$(STACK)/containerd

# Tools for the job (README: Tools): where a published port breaks, one
# archive of every log, every stack of this checkout, pulumi by hand.
.PHONY: trace
trace: ## follow a port the wrapper publishes or the forwarder forwards, hop by hop: make trace STACK=dev PORT=8080
	@npx ts-node -T tools/trace.ts '$(STACK)' '$(PORT)'

# The archives go to logs/ (git-ignored).
.PHONY: logs
logs: ## one archive of the stack's logs, rules, config and host report, secrets removed
	@sh tools/logs.sh '$(STACK)'

.PHONY: forwards
forwards: ## the inner published ports forwarded to this machine: host address -> inner container, since, bytes
	@$(FORWARD) list --stack '$(STACK)' --root '$(CURDIR)'

.PHONY: status
status: ## every stack of this checkout: engine, plugins, base, versions, wrapper, ports, storage, images
	@npx ts-node -T tools/status.ts

# What the Makefile exports (and unexports), printed for a shell:
# eval "$$(make env)". Derived from the Makefile's own variables, not listed.
.PHONY: env
env: ## print the Makefile's exports, for pulumi by hand: eval "$$(make env)"
	@sh tools/env.sh $(foreach v,$(.VARIABLES),$(if $(filter file override,$(origin $(v))),$(v))) -- \
		$(foreach v,$(.VARIABLES),$(if $(filter environment,$(origin $(v))),$(v)))

test: toolchain lint test-unit test-provider test-nerdctl test-upstream test-upstream-2 test-e2e ## every test: lint, unit, provider, nerdctl, upstream (1.5.0 and 2.0.0), end to end (what CI runs)

test-unit: ## types and unit tests (mocks, seconds)
	npx tsc --noEmit -p .
	npx mocha --timeout 30000 'tests/unit/**/*.test.ts'

# PROVIDER=pulumi runs the suite on @pulumi/docker and @pulumi/command.
test-e2e: export PROVIDER ?= ndind
test-e2e: ## the end-to-end suite (PROVIDER=pulumi for @pulumi/docker and @pulumi/command)
	npx mocha --timeout 1800000 'tests/e2e/**/*.test.ts'

# An arm64 engine from this machine: a Debian arm64 guest under
# qemu-system-aarch64 (TCG), reached over ssh; up, an inner published port,
# cgroup limits, docker restart, destroy keeps the images. Not in make test:
# on a 2-core machine with TCG only, the guest's disk (about 15 min cold), the
# arm64 bundle (about 16 min cold) and the run (about 30 min warm) do not fit
# CI's 90 minutes from a cold machine beside the rest (docs/development.md).
test-arm64: toolchain ## the arm64 guest's end-to-end test (not in make test: slow under emulation)
	npx mocha --timeout 3600000 'tests/arm64/*.test.ts'

# Our provider plugin's own tests (diff rules, commands, docker calls against a fake docker).
test-provider: ## our provider plugin's and the port forwarder's Go tests
	cd provider && GOFLAGS="-mod=mod -buildvcs=false" go test -count=1 ./...
	cd forward && GOFLAGS=-buildvcs=false go test -count=1 ./...

# nerdctl's own integration tests in a throwaway stack: TESTS=regex (default:
# port mapping and networks), PATCHES=none for nerdctl as released,
# NERDCTL_VERSION=X.Y.Z for another release.
test-upstream: toolchain ## nerdctl's own integration tests in a throwaway stack
	@sh tests/upstream/run.sh

# The same default set on nerdctl 2.0.0 as released, the newest release
# whose integration tests build here (tests/upstream/README.md): what a move
# to 2.x would keep.
test-upstream-2: toolchain ## the same on nerdctl 2.0.0 as released
	@NERDCTL_VERSION=2.0.0 sh tests/upstream/run.sh

# nerdctl's own unit tests for the packages our patches touch, patched tree.
test-nerdctl: ## nerdctl's unit tests for the packages our patches touch
	GOTEST_FLAGS=-count=1 sh nerdctl/unit-test.sh

bench: toolchain ## measure the daily loop against its baselines (bench/results.md)
	@sh bench/run.sh
