import Foundation
import MicroHTTP

extension ServiceApp {
    func addOperationsRoutes(_ router: inout HTTPRouter) {
        router.get("/healthz", handleInline { _ in .json(.ok, "{\"status\":\"ok\"}") })
        router.get(
            "/readyz",
            handle { [store] _ in
                try store.checkReady()
                return .json(.ok, "{\"status\":\"ready\"}")
            })
        router.get(
            "/metrics",
            handle { [self] _ in
                let text = metrics.render(
                    jobs: try store.jobCounts(), trainingSamples: queue.counters.trainingSamples,
                    queueDepth: try queue.depth(), storage: try store.storageFigures())
                return .text(.ok, text, contentType: "text/plain; version=0.0.4; charset=utf-8")
            })
        let spec = options.openAPIPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        router.get(
            "/openapi.yaml",
            handle { _ in
                guard let spec else {
                    throw ServiceError(
                        404, "not_found", "this server was started without its openapi.yaml (set NN_OPENAPI_PATH)")
                }
                return .text(.ok, spec, contentType: "application/yaml")
            })
    }
}
