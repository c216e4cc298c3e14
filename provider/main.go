// pulumi-resource-ndind: the project's own Pulumi resource provider plugin,
// package ndind. It serves the three kinds of resource the environment needs
// (a host command, a Docker image build, a Docker container) by running sh
// and the docker CLI. A native plugin starts in milliseconds, where the
// Node.js dynamic-provider host it replaces cost a second per Pulumi run.
//
// The engine starts the plugin, reads the gRPC port from the first line of
// its stdout, and calls the methods below, independent resources in
// parallel: every call runs on its own goroutine and shares no mutable state.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The plugin's version: the one the TypeScript resources ask for, read by
// both sides from provider/VERSION.
//
//go:embed VERSION
var versionFile string

var version = strings.TrimSpace(versionFile)

const pkg = "ndind"

func main() {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(s, newServer())
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// The provider-level methods: no configuration, anything is accepted.

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, pkg, version)}, nil
}

func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig never asks for a replacement; this also lets a resource move to
// this provider from another one (an alias of an older type) without one.
func (s *server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure: no secrets (the engine unwraps them and keeps their secret bit)
// and no preview (the engine reports outputs as unknown instead of calling
// Create or Update during a preview), since nothing here may run at preview.
func (s *server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: false}, nil
}

// Cancel: programs already started run to their end (an interrupted `up`
// leaves no half-made resource); the engine stops calling once cancelled.
func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
