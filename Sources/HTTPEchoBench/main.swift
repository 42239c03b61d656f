// A tiny MicroHTTP server for load tests (scripts/bench-http.sh): GET /ping answers a small
// JSON body; POST /echo returns the request body. The access log is off so that the numbers
// measure the server, not the terminal.
//
//   http-echo-bench [port]     (default 8081)
import Foundation
import MicroHTTP

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8081 : 8081

let ping = Array(#"{"status":"ok","service":"nnserve"}"#.utf8)
var router = HTTPRouter()
router.get("/ping") { _ in .json(.ok, ping) }
router.post("/echo") { request in
    HTTPResponse(
        status: .ok, headers: ["Content-Type": request.headers["Content-Type"] ?? "application/octet-stream"],
        body: request.body)
}

let server = HTTPServer(
    configuration: HTTPServerConfiguration(
        host: "127.0.0.1", port: port, router: router, maxConnections: 4096, accessLog: nil))
do {
    try server.start()
} catch {
    FileHandle.standardError.write("http-echo-bench: \(error)\n".data(using: .utf8)!)
    exit(1)
}
FileHandle.standardError.write("http-echo-bench listening on 127.0.0.1:\(server.port)\n".data(using: .utf8)!)

// SIGTERM and SIGINT keep their default action (exit): a benchmark server has no state to
// save, and the script stops it by pid.
dispatchMain()
