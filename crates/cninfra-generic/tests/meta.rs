//! `ligato.generic.MetaService`: a client that has none of the Rust types learns the models
//! (KnownModels), rebuilds their descriptors (ProtoFileDescriptor) and decodes the values
//! of GetConfig dynamically; errors of both services name what was wrong.

mod support;

use cninfra_generic::pb::{
    Data, GetConfigRequest, Item, KnownModelsRequest, ProtoFileDescriptorRequest, SetConfigRequest,
    SubscribeRequest, Subscription, UpdateItem, data, item,
};
use cninfra_grpc::tonic::Code;
use cninfra_kvscheduler_example::fib_key;
use cninfra_models::any::{Any, type_url, unpack};
use cninfra_models::{ModelRegistry, ModelSpec};
use prost_reflect::{DescriptorPool, Value};
use support::{
    BRIDGE_DOMAINS, FIB, INTERFACES, MAC, Stack, bridge_domain, fib, interface, item_of, put,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_rebuilds_the_models_and_decodes_values_dynamically() {
    let stack = Stack::start().await;
    let mut meta = stack.meta().await;
    let mut manager = stack.manager().await;
    manager
        .set_config(SetConfigRequest {
            updates: vec![
                put(item_of(INTERFACES, &interface("tap1", true))),
                put(item_of(BRIDGE_DOMAINS, &bridge_domain("bd1", &["tap1"]))),
                put(item_of(FIB, &fib("bd1", MAC, "tap1"))),
            ],
            overwrite_all: false,
        })
        .await
        .unwrap();

    let known = meta
        .known_models(KnownModelsRequest {
            class: "config".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<String> = known
        .known_models
        .iter()
        .map(|m| m.proto_name.clone())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "ligato.vpp.interfaces.Interface",
            "ligato.vpp.l2.BridgeDomain",
            "ligato.vpp.l2.FIBEntry",
            "ligato.vpp.l2.XConnectPair"
        ]
    );
    assert_eq!(known.active_modules, ["vpp", "vpp.l2"]);
    let none = meta
        .known_models(KnownModelsRequest {
            class: "metrics".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none.known_models.is_empty());

    // A registry of the remote models, from their descriptors alone.
    let mut pool = DescriptorPool::new();
    let mut registry = ModelRegistry::new();
    for detail in &known.known_models {
        let option = |key: &str| {
            detail
                .options
                .iter()
                .find(|o| o.key == key)
                .and_then(|o| o.values.first())
                .cloned()
                .unwrap_or_default()
        };
        let file = option("protoFile");
        let answer = meta
            .proto_file_descriptor(ProtoFileDescriptorRequest {
                full_proto_file_name: file.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let imports = answer.file_import_descriptors.unwrap_or_default();
        pool.add_file_descriptor_protos(imports.file).unwrap();
        pool.add_file_descriptor_proto(answer.file_descriptor.unwrap())
            .unwrap();
        let descriptor = pool.get_message_by_name(&detail.proto_name).unwrap();
        assert_eq!(descriptor.parent_file().name(), file);
        let spec = detail.spec.clone().unwrap();
        let template = option("nameTemplate");
        registry
            .register_dynamic(
                ModelSpec::new(&spec.module, &spec.version, &spec.r#type)
                    .unwrap()
                    .with_class(&spec.class)
                    .unwrap(),
                descriptor,
                (!template.is_empty()).then_some(template.as_str()),
            )
            .unwrap();
    }
    assert_eq!(
        known
            .known_models
            .iter()
            .find(|m| m.proto_name == "ligato.vpp.l2.FIBEntry")
            .unwrap()
            .options[0]
            .values,
        ["{{.BridgeDomain}}/mac/{{.PhysAddress}}"]
    );
    // The secret fields of a model are listed (those of the interface model), and no
    // option is added to a model without any.
    let secret_fields = |proto_name: &str| {
        known
            .known_models
            .iter()
            .find(|m| m.proto_name == proto_name)
            .unwrap()
            .options
            .iter()
            .find(|o| o.key == cninfra_generic::SECRET_FIELDS_OPTION)
            .map(|o| o.values.clone())
    };
    assert_eq!(
        secret_fields("ligato.vpp.interfaces.Interface"),
        Some(vec!["memif.secret".to_owned()])
    );
    assert_eq!(secret_fields("ligato.vpp.l2.FIBEntry"), None);

    let config = manager
        .get_config(GetConfigRequest::default())
        .await
        .unwrap()
        .into_inner();
    let fib_item = config
        .items
        .iter()
        .filter_map(|c| c.item.as_ref())
        .find(|i| i.id.as_ref().unwrap().model == FIB)
        .unwrap();
    let Some(data::Union::Any(any)) = fib_item.data.as_ref().and_then(|d| d.union.as_ref()) else {
        panic!("a value")
    };
    let message = unpack(any, &pool).expect("decodes with the remote descriptors");
    assert_eq!(
        message.get_field_by_name("phys_address").as_deref(),
        Some(&Value::String(MAC.into()))
    );
    assert_eq!(
        message.get_field_by_name("bridge_domain").as_deref(),
        Some(&Value::String("bd1".into()))
    );
    // The rebuilt model makes the same key the agent uses.
    assert_eq!(
        registry.key_of_dynamic(&message).unwrap(),
        fib_key("bd1", MAC)
    );
    stack.stop().await;
}

fn update(item: Item) -> SetConfigRequest {
    SetConfigRequest {
        updates: vec![UpdateItem {
            item: Some(item),
            labels: Default::default(),
        }],
        overwrite_all: false,
    }
}

fn any_item(model: &str, name: &str, any: Any) -> Item {
    Item {
        id: Some(item::Id {
            model: model.into(),
            name: name.into(),
        }),
        data: Some(Data {
            union: Some(data::Union::Any(any)),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_what_was_wrong_and_apply_nothing() {
    let stack = Stack::start().await;
    let mut manager = stack.manager().await;
    let mut meta = stack.meta().await;
    let entry = item_of(FIB, &fib("bd1", MAC, "tap1"));
    let mut expect = async |request: SetConfigRequest, wanted: &[&str]| {
        let err = manager.set_config(request).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{err}");
        for part in wanted {
            assert!(
                err.message().contains(part),
                "`{part}` in: {}",
                err.message()
            );
        }
    };

    // An unknown model, named with the ones that are known.
    let mut unknown = entry.clone();
    unknown.id.as_mut().unwrap().model = "vpp.l3.routes".into();
    expect(
        update(unknown),
        &["unknown model `vpp.l3.routes`", "vpp.l2.fib"],
    )
    .await;

    // A name that is not the one the value makes.
    let mut misnamed = entry.clone();
    misnamed.id.as_mut().unwrap().name = "bd1/mac/00:00:00:00:00:01".into();
    expect(
        update(misnamed),
        &[
            "named `bd1/mac/00:00:00:00:00:01`",
            &format!("`bd1/mac/{MAC}`"),
            &fib_key("bd1", MAC),
        ],
    )
    .await;

    // Bytes that are not a FIB entry.
    let garbage = Any {
        type_url: type_url("ligato.vpp.l2.FIBEntry"),
        value: vec![0x0a, 0xff, 0xff],
    };
    expect(
        update(any_item(FIB, "", garbage)),
        &["item `vpp.l2.fib`", "not a valid `ligato.vpp.l2.FIBEntry`"],
    )
    .await;

    // A message of another model.
    let bd = cninfra_models::any::pack(&bridge_domain("bd1", &[]));
    expect(
        update(any_item(FIB, "", bd)),
        &["`ligato.vpp.l2.BridgeDomain`", "`ligato.vpp.l2.FIBEntry`"],
    )
    .await;

    // A type URL no model has, without an id.
    let stray = Any {
        type_url: type_url("acme.Widget"),
        value: Vec::new(),
    };
    let mut no_id = any_item(FIB, "", stray);
    no_id.id = None;
    expect(update(no_id), &["no model holds `acme.Widget` messages"]).await;

    // A key twice, and an update without an item.
    expect(
        SetConfigRequest {
            updates: vec![put(entry.clone()), put(entry.clone())],
            overwrite_all: false,
        },
        &[&format!(
            "`{}` is set by more than one update",
            fib_key("bd1", MAC)
        )],
    )
    .await;
    expect(
        SetConfigRequest {
            updates: vec![put(entry.clone()), UpdateItem::default()],
            overwrite_all: false,
        },
        &["update #1 has no item"],
    )
    .await;
    // A delete whose name makes no key of the model.
    expect(
        update(Item {
            id: Some(item::Id {
                model: FIB.into(),
                name: String::new(),
            }),
            data: None,
        }),
        &["not a key of the model"],
    )
    .await;

    assert!(
        stack.orchestrator().desired_state().is_empty(),
        "nothing of a refused request applies"
    );
    assert!(stack.dataplane().calls().is_empty());

    let missing = meta
        .proto_file_descriptor(ProtoFileDescriptorRequest {
            full_proto_file_name: "acme/widgets.proto".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert!(
        missing.message().contains("`acme/widgets.proto`")
            && missing.message().contains("ligato/vpp/l2/fib.proto"),
        "{missing}"
    );
    let subscription = manager
        .subscribe(SubscribeRequest {
            subscriptions: vec![Subscription {
                id: Some(item::Id {
                    model: "acme.widgets".into(),
                    name: String::new(),
                }),
            }],
        })
        .await
        .unwrap_err();
    assert_eq!(subscription.code(), Code::InvalidArgument);
    assert!(
        subscription
            .message()
            .contains("unknown model `acme.widgets`"),
        "{subscription}"
    );
    stack.stop().await;
}
