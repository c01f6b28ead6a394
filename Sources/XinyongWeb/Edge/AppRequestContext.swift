import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore
import XinyongAccess
import XinyongModel
import XinyongStore

/// The one request context of the platform: who is asking (resolved once by ``AuthenticationMiddleware``),
/// the session behind a login, and where the request came from.
struct AppRequestContext: AuthRequestContext, RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The caller; nil until authentication ran, and for anonymous visitors.
    var identity: Caller?
    /// The session, when the caller logged in (its CSRF token guards every form).
    var session: Session?
    /// The peer address, for throttling logins and report issuing.
    let address: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        address = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    var caller: Caller { identity ?? .anonymous }

    /// Request bodies the platform accepts: batches stream past this, and set their own limit.
    var maxUploadSize: Int { 4 << 20 }

    /// Actor for writes made on behalf of this caller.
    func actor(_ reason: String) -> Actor {
        Actor(caller.auditName, reason: reason, department: caller.departmentID)
    }
}

