/// The dashboard's files (`UI/Assets/`), embedded in the binary by SwiftPM's `embedInCode`
/// resource rule (Package.swift), with the routes and content types they are served under.
enum DashboardAssets {
    struct Asset: Sendable {
        let route: String
        let contentType: String
        let bytes: [UInt8]
        /// A strong validator for If-None-Match: 64-bit FNV-1a of the bytes, computed once at
        /// start-up (RFC 9110 §8.8.3 asks only that it change when the content does).
        let etag: String

        init(route: String, contentType: String, bytes: [UInt8]) {
            self.route = route
            self.contentType = contentType
            self.bytes = bytes
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            etag = String(hash, radix: 16)
        }
    }

    static let all: [Asset] = [
        Asset(route: "/ui/", contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html),
        Asset(route: "/ui/app.js", contentType: "text/javascript; charset=utf-8", bytes: PackageResources.app_js),
        Asset(route: "/ui/style.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.style_css),
    ]
}
