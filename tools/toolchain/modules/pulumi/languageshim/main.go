// pulumi-language-nodejs for this toolchain: the v3.68.0 Node.js language host (the newest the module proxy
// serves) behind a thin gRPC front that adds the one RPC it lacks, RunPlugin for policy packs.
//
// Since v3.221 the engine starts a Node.js policy pack by asking the language host to RunPlugin it; the
// v3.68.0 host answers "not supported", so `pulumi preview --policy-pack` would fail. This front starts the
// real host next to it (pulumi-language-nodejs-3.68.0, same arguments), forwards every RPC the host
// implements to it unchanged, and serves RunPlugin for kind "analyzer" the way current hosts do: run
// `node <@pulumi/pulumi/cmd/run-policy-pack> <args...> <policy pack directory>` in the pack's directory, with
// PULUMI_NODEJS_TYPESCRIPT set unless the pack's runtime options turn TypeScript off, and stream its stdout,
// stderr and exit code back to the engine.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

const realHost = "pulumi-language-nodejs-3.68.0"

type front struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	host pulumirpc.LanguageRuntimeClient
}

func (f *front) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return f.host.GetRequiredPlugins(ctx, req)
}

func (f *front) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return f.host.GetRequiredPackages(ctx, req)
}

func (f *front) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return f.host.Run(ctx, req)
}

func (f *front) GetPluginInfo(ctx context.Context, req *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return f.host.GetPluginInfo(ctx, req)
}

func (f *front) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return f.host.About(ctx, req)
}

func (f *front) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return f.host.GetProgramDependencies(ctx, req)
}

func (f *front) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	stream, err := f.host.InstallDependencies(server.Context(), req)
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := server.Send(msg); err != nil {
			return err
		}
	}
}

// streamWriter sends each write as one RunPluginResponse chunk.
type streamWriter struct {
	mu     *sync.Mutex
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	chunk := append([]byte(nil), p...)
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: chunk}}
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: chunk}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.server.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func typescriptEnabled(req *pulumirpc.RunPluginRequest) bool {
	if options := req.GetInfo().GetOptions(); options != nil {
		if v, ok := options.AsMap()["typescript"].(bool); ok {
			return v
		}
	}
	return true
}

func (f *front) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	if req.GetKind() != "analyzer" {
		return fmt.Errorf("this toolchain's Node.js language host runs policy packs only, not %q plugins", req.GetKind())
	}
	dir := req.GetInfo().GetProgramDirectory()
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node not found on PATH: %w", err)
	}
	resolve := exec.Command(node, "-e", "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))")
	resolve.Dir = dir
	runPath, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("it looks like the policy pack's dependencies are not installed; run npm install in %q (%v)", dir, err)
	}
	args := append([]string{string(runPath)}, req.GetArgs()...)
	args = append(args, dir)
	env := append([]string(nil), req.GetEnv()...)
	if typescriptEnabled(req) {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if options := req.GetInfo().GetOptions(); options != nil {
		if p, ok := options.AsMap()["tsconfig"].(string); ok && p != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+p)
		}
	}
	cmd := exec.CommandContext(server.Context(), node, args...)
	cmd.Dir = dir
	cmd.Env = env
	mu := &sync.Mutex{}
	cmd.Stdout = streamWriter{mu: mu, server: server}
	cmd.Stderr = streamWriter{mu: mu, server: server, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			return err
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (toolchain front): "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	self, err := os.Executable()
	if err != nil {
		fail("cannot find own path: %v", err)
	}
	child := exec.Command(filepath.Join(filepath.Dir(self), realHost), os.Args[1:]...)
	child.Stderr = os.Stderr
	child.Stdin = os.Stdin
	// The engine may kill this process outright: take the real host down with it.
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := child.StdoutPipe()
	if err != nil {
		fail("%v", err)
	}
	if err := child.Start(); err != nil {
		fail("cannot start %s: %v", realHost, err)
	}
	reader := bufio.NewReader(out)
	portLine, err := reader.ReadString('\n')
	if err != nil {
		fail("%s did not report its port: %v", realHost, err)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(portLine), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("cannot connect to %s: %v", realHost, err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(400 * 1024 * 1024))
	pulumirpc.RegisterLanguageRuntimeServer(server, &front{host: pulumirpc.NewLanguageRuntimeClient(conn)})
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)
	// Only now, after this front's own port line: pass on whatever else the real host prints.
	go func() { _, _ = io.Copy(os.Stdout, reader) }()
	go func() {
		_ = child.Wait()
		server.Stop()
	}()
	if err := server.Serve(listener); err != nil {
		fail("%v", err)
	}
}
