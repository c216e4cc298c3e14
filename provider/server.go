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
	// check: what is wrong with the inputs, each failure named by its path.
	check(inputs resource.PropertyMap) []*pulumirpc.CheckFailure
	diff(olds, news resource.PropertyMap) diffResult
	create(inputs resource.PropertyMap) (string, resource.PropertyMap, error)
	// read: the state as it is now, nil when the resource is gone.
	read(id string, state resource.PropertyMap) (resource.PropertyMap, error)
	update(id string, olds, news resource.PropertyMap) (resource.PropertyMap, error)
	delete(id string, state resource.PropertyMap) error
}

type diffResult struct {
	// changed: the inputs that differ; unknown values count as changed.
	changed  []string
	replaces []string
	// detail: each property path that differs (ports[0].external) and how;
	// a _REPLACE kind under a key of replaces.
	detail              map[string]pulumirpc.PropertyDiff_Kind
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

// Check passes the inputs on as they are, with what is wrong with them.
func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	k, news, err := s.kindAndProps(req.GetType(), req.GetUrn(), req.GetNews())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: k.check(news)}, nil
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
	d := k.diff(olds, news)
	if _, ok := k.(container); ok && len(d.replaces) > 0 {
		noticeReplacement(req.GetUrn(), req.GetId(), olds)
	}
	return diffResponse(d), nil
}

func diffResponse(d diffResult) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	if len(d.changed) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.Diffs = sorted(d.changed)
		resp.Replaces = sorted(d.replaces)
		resp.DeleteBeforeReplace = d.deleteBeforeReplace && len(d.replaces) > 0
		resp.HasDetailedDiff = true
		resp.DetailedDiff = map[string]*pulumirpc.PropertyDiff{}
		for path, kind := range d.detail {
			resp.DetailedDiff[path] = &pulumirpc.PropertyDiff{Kind: kind}
		}
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

// Read returns the state as it is now, or no ID when the resource is gone,
// so that `pulumi refresh` drops it and the next `up` makes it again. An
// input the state now holds another value of (a container's image) takes
// it, so the next diff sees the drift.
func (s *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	k, state, err := s.kindAndProps(req.GetType(), req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	now, err := k.read(req.GetId(), state)
	if err != nil || now == nil {
		return &pulumirpc.ReadResponse{}, err
	}
	inputs, err := props(req.GetInputs())
	if err != nil {
		return nil, err
	}
	for key := range inputs {
		if v, ok := now[key]; ok {
			inputs[key] = v
		}
	}
	resp := &pulumirpc.ReadResponse{Id: req.GetId()}
	if resp.Properties, err = plugin.MarshalProperties(now, marshal); err != nil {
		return nil, err
	}
	if req.GetInputs() != nil {
		resp.Inputs, err = plugin.MarshalProperties(inputs, marshal)
	}
	return resp, err
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
