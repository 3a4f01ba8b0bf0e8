//! Server reflection (`grpc.reflection.v1` and `v1alpha`), listing the services served.

use tonic::service::RoutesBuilder;
use tonic_reflection::pb::{v1, v1alpha};
use tonic_reflection::server::Builder;

use crate::error::GrpcError;
use crate::health::HEALTH_SERVICE;

/// The names of both reflection services.
pub(crate) const REFLECTION_SERVICES: [&str; 2] = [
    v1::server_reflection_server::SERVICE_NAME,
    v1alpha::server_reflection_server::SERVICE_NAME,
];

/// A reflection builder knowing `descriptors` (plus the standard ones) and listing
/// `services` (plus the reflection services themselves).
fn builder<'a>(descriptors: &'a [Vec<u8>], services: &[String]) -> Builder<'a> {
    let mut builder = Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(v1alpha::FILE_DESCRIPTOR_SET);
    if services.iter().any(|name| name == HEALTH_SERVICE) {
        builder =
            builder.register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    }
    for set in descriptors {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    for name in services
        .iter()
        .map(String::as_str)
        .chain(REFLECTION_SERVICES)
    {
        builder = builder.with_service_name(name);
    }
    builder
}

/// Adds both reflection services to `routes`.
pub(crate) fn add_to(
    routes: &mut RoutesBuilder,
    descriptors: &[Vec<u8>],
    services: &[String],
) -> Result<(), GrpcError> {
    let failed = |err: tonic_reflection::server::Error| GrpcError::Reflection {
        reason: err.to_string(),
    };
    routes.add_service(builder(descriptors, services).build_v1().map_err(failed)?);
    routes.add_service(
        builder(descriptors, services)
            .build_v1alpha()
            .map_err(failed)?,
    );
    Ok(())
}

/// Checks that `set` is an encoded `FileDescriptorSet` that reflection can serve.
pub(crate) fn check(set: &[u8]) -> Result<(), GrpcError> {
    Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(set)
        .build_v1()
        .map(drop)
        .map_err(|err| GrpcError::Reflection {
            reason: err.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_and_a_generated_set_accepted() {
        assert!(check(tonic_health::pb::FILE_DESCRIPTOR_SET).is_ok());
        let err = check(b"\xff\xff\xff").unwrap_err().to_string();
        assert!(err.contains("file descriptor set"), "{err}");
    }
}
