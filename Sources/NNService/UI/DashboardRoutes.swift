import MicroHTTP

extension ServiceApp {
    /// The dashboard: `GET /` and `GET /ui` redirect to `/ui/`, which serves the page; its
    /// script and style sheet come from `DashboardAssets`, compiled into the binary so that
    /// the server needs no files at run time. Outside `/v1`, so no token is needed to load
    /// it; the page itself asks for the token when the API answers 401.
    func addDashboardRoutes(_ router: inout HTTPRouter) {
        router.get("/", handleInline { _ in Self.redirect(to: "/ui/") })
        router.get("/ui", handleInline { _ in Self.redirect(to: "/ui/") })
        for asset in DashboardAssets.all {
            let response = Self.assetResponse(asset)
            var notModified = HTTPResponse(status: .notModified)
            notModified.headers.set("ETag", "\"\(asset.etag)\"")
            notModified.headers.set("Cache-Control", "no-cache")
            router.get(
                asset.route,
                handleInline { [notModified] request in
                    // RFC 9110 §13.1.2: a matching If-None-Match is answered 304 without the body.
                    let tags = request.headers["If-None-Match"] ?? ""
                    return tags.contains("\"\(asset.etag)\"") ? notModified : response
                })
        }
    }

    /// RFC 9110 §15.4.3: 302 Found, so that a later version may put something else at `/`.
    static func redirect(to location: String) -> HTTPResponse {
        var response = HTTPResponse.text(.found, "see \(location)\n")
        response.headers.set("Location", location)
        response.headers.set("Cache-Control", "no-cache")
        return response
    }

    static func assetResponse(_ asset: DashboardAssets.Asset) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set("Content-Type", asset.contentType)
        // RFC 9111 §5.2.2.4: the browser revalidates on every load, so a new server
        // version's assets are never mixed with a cached old page.
        headers.set("Cache-Control", "no-cache")
        headers.set("ETag", "\"\(asset.etag)\"")
        headers.set("X-Content-Type-Options", "nosniff")
        // Everything comes from this server: no other host is ever contacted (air-gapped sites),
        // and injected markup cannot run scripts (https://www.w3.org/TR/CSP3/).
        headers.set(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
                + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
        headers.set("Referrer-Policy", "no-referrer")
        return HTTPResponse(status: .ok, headers: headers, body: asset.bytes)
    }
}
