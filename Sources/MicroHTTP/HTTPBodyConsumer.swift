/// Takes a request body as it arrives, for a route that opts in (`HTTPRouter.add(_:_:body:_:)`):
/// an upload is parsed while it is received instead of being held whole in memory first.
///
/// The server makes one consumer per request, once the head stage has admitted it (path, route,
/// `beforeBody` hooks: a refused request never reaches a consumer). It hands the body over in
/// order, after chunked decoding and with `Content-Encoding: gzip` inflated (within
/// `HTTPLimits.maxInflatedBodyBytes`), on a work-pool thread, one call at a time; then calls
/// `finish`, and then the route's handler runs with the consumer in `HTTPRequest.bodyConsumer`
/// and an empty `body`. A body that is cut off (the client leaves, a timeout) or that cannot be
/// inflated never reaches `finish`, and the handler does not run.
///
/// Without a server (`HTTPRouter.respond(to:)` on a request built in memory) the router hands
/// the consumer the whole `body` at once, so handlers and tests see one behaviour.
public protocol HTTPBodyConsumer: AnyObject, Sendable {
    /// The next bytes of the body. Returns false to take no more: the rest of the body is read
    /// and discarded, and `finish` still comes (a consumer that found an error in the first
    /// bytes lets its handler answer it once the request is complete).
    func consume(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// The body is complete. Called once, after the last `consume`, before the handler.
    func finish()
}

/// Makes the consumer of one admitted request (nil: buffer this body as usual). It runs on the
/// event loop with the request's head, so it must be quick and never block.
public typealias HTTPBodyConsumerFactory = @Sendable (HTTPRequest) -> (any HTTPBodyConsumer)?
