// The resource methods: property maps in and out of gRPC, each call handed
// to the kind of resource its type names.
package main

import (
	"context"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// kind is one resource type: its diff rule and what create, read, update
// and delete do. Values are the resource's plain properties (no secrets:
// the provider does not accept them); at preview, inputs may be unknown.
type kind interface {
	diff(olds, news resource.PropertyMap) diffResult
	create(inputs resource.PropertyMap) (string, resource.PropertyMap, error)
	// read reports whether the resource still exists.
	read(id string, state resource.PropertyMap) (bool, error)
	update(id string, olds, news resource.PropertyMap) (resource.PropertyMap, error)
	delete(id string, state resource.PropertyMap) error
}

type diffResult struct {
	// changed: the inputs that differ; unknown values count as changed.
	changed             []string
	replaces            []string
	deleteBeforeReplace bool
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	kinds map[string]kind
}

func newServer() *server {
	return &server{kinds: map[string]kind{
		pkg + ":index:Command":   command{},
		pkg + ":index:Image":     image{},
		pkg + ":index:Container": container{},
	}}
}

// Unknown values stay (as computed values) so that diff sees them.
var marshal = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func (s *server) kindOf(typ, urn string) (kind, error) {
	if typ == "" && urn != "" {
		typ = string(resource.URN(urn).Type())
	}
	k, ok := s.kinds[typ]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "the %s provider has no resource type %q", pkg, typ)
	}
	return k, nil
}

func props(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, marshal)
}

func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if _, err := s.kindOf(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// kindAndProps resolves the resource kind and unmarshals one of the
// request's property maps: the first steps of every resource call.
func (s *server) kindAndProps(typ, urn string, st *structpb.Struct) (kind, resource.PropertyMap, error) {
	k, err := s.kindOf(typ, urn)
	if err != nil {
		return nil, nil, err
	}
	m, err := props(st)
	return k, m, err
}

// oldsAndNews is kindAndProps for calls that carry old state and new inputs.
func (s *server) oldsAndNews(typ, urn string, oldS, newS *structpb.Struct) (kind, resource.PropertyMap, resource.PropertyMap, error) {
	k, olds, err := s.kindAndProps(typ, urn, oldS)
	if err != nil {
		return nil, nil, nil, err
	}
	news, err := props(newS)
	return k, olds, news, err
}

// Diff compares the old outputs with the new inputs: every output that is
// an input keeps the input's value.
func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	k, olds, news, err := s.oldsAndNews(req.GetType(), req.GetUrn(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	return diffResponse(k.diff(olds, news)), nil
}

func diffResponse(d diffResult) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	if len(d.changed) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.Diffs = sorted(d.changed)
		resp.Replaces = sorted(d.replaces)
		resp.DeleteBeforeReplace = d.deleteBeforeReplace
	}
	return resp
}

func sorted(keys []string) []string {
	out := append([]string(nil), keys...)
	sort.Strings(out)
	return out
}

func (s *server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	k, inputs, err := s.kindAndProps(req.GetType(), req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, outs, err := k.create(inputs)
	if err != nil {
		return nil, err
	}
	m, err := plugin.MarshalProperties(outs, marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: m}, nil
}

// Read keeps the state as it is, or returns no ID when the resource is gone,
// so that `pulumi refresh` drops it and the next `up` makes it again.
func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	k, state, err := s.kindAndProps(req.GetType(), req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	exists, err := k.read(req.GetId(), state)
	if err != nil || !exists {
		return &pulumirpc.ReadResponse{}, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (s *server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	k, olds, news, err := s.oldsAndNews(req.GetType(), req.GetUrn(), req.GetOlds(), req.GetNews())
	if err != nil {
		return nil, err
	}
	outs, err := k.update(req.GetId(), olds, news)
	if err != nil {
		return nil, err
	}
	m, err := plugin.MarshalProperties(outs, marshal)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: m}, nil
}

func (s *server) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	k, state, err := s.kindAndProps(req.GetType(), req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	if err := k.delete(req.GetId(), state); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
