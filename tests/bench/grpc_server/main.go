// grpc_server: the gRPC unary backend of tests/bench/l7_bench.py --grpc. A real gRPC server
// (google.golang.org/grpc, HTTP/2 h2c, trailers with grpc-status) that answers every method
// without protoc: a raw-bytes codec and the unknown-service handler take any /pkg.Svc/Method.
// Each call gets a fixed 64-byte message naming the version (as the HTTP/1.1 nginx backends'
// body) and the header x-version. Python's grpcio is far too slow to be the backend of a proxy
// benchmark; nghttpd cannot send trailers.
//
//	grpc_server -addr :50051 -version v1
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
)

// rawCodec moves gRPC messages as the bytes on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" } // what clients send in content-type application/grpc

func main() {
	addr := flag.String("addr", ":50051", "listen address")
	version := flag.String("version", "v1", "version named in every answer")
	flag.Parse()
	text := *version + " zmesh l7 bench grpc backend"
	body := []byte(text + strings.Repeat(".", max(0, 63-len(text))) + "\n")
	header := metadata.Pairs("x-version", *version)
	encoding.RegisterCodec(rawCodec{})
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.MaxConcurrentStreams(1000),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			var in []byte
			if err := stream.RecvMsg(&in); err != nil {
				return err
			}
			if err := stream.SetHeader(header); err != nil {
				return err
			}
			out := body
			return stream.SendMsg(&out)
		}))
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("{\"listening\": %q}\n", lis.Addr().String())
	log.Fatal(srv.Serve(lis))
}
