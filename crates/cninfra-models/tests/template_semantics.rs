//! Go `text/template` semantics of name templates beyond upstream's own templates: errors,
//! printing, truth, functions, field names, and the JSON data path. Expectations are what
//! Go's `text/template` (with `missingkey=error`) gives over the generated Go struct.

mod support;

use cninfra_models::template::{Datum, Fields, NameTemplate, TemplateError};
use prost_reflect::DynamicMessage;
use serde_json::json;

fn kinds(value: serde_json::Value) -> DynamicMessage {
    support::message("cninfra.test.Kinds", value)
}

fn render(template: &str, data: &dyn Fields) -> String {
    NameTemplate::parse(template)
        .unwrap_or_else(|e| panic!("{e}"))
        .render(data)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn render_err(template: &str, data: &dyn Fields) -> TemplateError {
    match NameTemplate::parse(template)
        .unwrap_or_else(|e| panic!("{e}"))
        .render(data)
    {
        Ok(name) => panic!("{template} rendered {name:?}"),
        Err(e) => e,
    }
}

// ===== errors =====

#[test]
fn unknown_field_names_the_field_and_offset() {
    let fib = support::message("ligato.vpp.l2.FIBEntry", json!({"bridgeDomain": "bd1"}));
    let err = render_err("{{.BridgeDomain}}/mac/{{.PhysAdress}}", &fib);
    assert_eq!(
        err,
        TemplateError::UnknownField {
            template: "{{.BridgeDomain}}/mac/{{.PhysAdress}}".into(),
            offset: 24,
            field: "PhysAdress".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "name template `{{.BridgeDomain}}/mac/{{.PhysAdress}}`: at byte 24: can't evaluate field PhysAdress"
    );
    // Inside a with: the field of the new dot (ipnet's map has no `Mask`).
    let route = support::message("ligato.linux.l3.Route", json!({"dstNetwork": "10.0.0.0/8"}));
    let err = render_err("{{with ipnet .DstNetwork}}{{.Mask}}{{end}}", &route);
    assert!(
        matches!(err, TemplateError::UnknownField { ref field, offset: 28, .. } if field == "Mask"),
        "{err:?}"
    );
    // In a branch not taken, an unknown field is no error (Go evaluates lazily).
    assert_eq!(render("{{if false}}{{.Nope}}{{end}}ok", &route), "ok");
}

#[test]
fn bad_syntax_names_the_offset() {
    for (text, offset, message) in [
        ("{{.Name", 0, "unclosed action"),
        ("x/{{if .A}}y", 12, "unexpected EOF"),
        ("{{.A}}{{end}}", 6, "unexpected {{end}}"),
        ("{{printf \"%s\" .A", 0, "unclosed action"),
        ("{{ .A | }}", 6, "missing value for command"),
        (
            "{{ipnet}}",
            2,
            "wrong number of args for ipnet: want 1 got 0",
        ),
        ("{{nosuch .A}}", 2, "function \"nosuch\" not defined"),
    ] {
        match NameTemplate::parse(text) {
            Err(TemplateError::Syntax {
                template,
                offset: o,
                message: m,
            }) => {
                assert_eq!((template.as_str(), o, m.as_str()), (text, offset, message));
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn unsupported_actions_name_the_action_and_offset() {
    for (text, offset, action) in [
        ("{{range .Tags}}{{.}}{{end}}", 2, "range"),
        ("a{{template \"x\" .}}", 3, "template"),
        ("{{define \"x\"}}y{{end}}", 2, "define"),
        ("{{block \"x\" .}}y{{end}}", 2, "block"),
        ("{{$n := .Name}}{{$n}}", 2, "variable declaration `$n :=`"),
        ("{{.Name}}{{ $n }}", 12, "variable $n"),
        ("{{index .Tags 0}}", 2, "function \"index\""),
    ] {
        let err = NameTemplate::parse(text).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Unsupported {
                template: text.into(),
                offset,
                action: action.into(),
            }
        );
        assert!(
            err.to_string()
                .contains("is not supported in name templates"),
            "{err}"
        );
    }
}

#[test]
fn render_errors() {
    let m = kinds(json!({"name": "n", "inner": {"label": "x"}}));
    let message = |e: TemplateError| match e {
        TemplateError::Render {
            offset, message, ..
        } => (offset, message),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        message(render_err("{{ip .Small}}", &m)),
        (2, "wrong type for value; expected string; got int".into())
    );
    assert_eq!(
        message(render_err("{{.Inner}}", &m)).1,
        "can't print a whole message (Go prints it in an unstable text form); name one of its fields"
    );
    // An unset message field is a nil pointer, as in the Go struct.
    let unset = kinds(json!({}));
    assert_eq!(
        message(render_err("{{.Inner.Label}}", &unset)),
        (2, "nil pointer evaluating field Label".into())
    );
    assert_eq!(
        message(render_err("{{.Name.Length}}", &m)),
        (2, "can't evaluate field Length in type string".into())
    );
    assert_eq!(
        message(render_err("{{lt .On true}}", &m)),
        (2, "invalid type for comparison".into())
    );
    assert_eq!(
        message(render_err("{{eq .Name 1}}", &m)),
        (2, "incompatible types for comparison".into())
    );
}

#[test]
fn templates_are_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>(_: &T) {}
    let t = NameTemplate::parse("{{.Name}}").unwrap();
    shareable(&t);
    assert_eq!(format!("{t:?}"), r#"NameTemplate("{{.Name}}")"#);
    assert_eq!(t.to_string(), "{{.Name}}");
    assert_eq!(t.as_str(), "{{.Name}}");
    assert_eq!("{{.Name}}".parse::<NameTemplate>().unwrap(), t);
}

#[test]
fn render_to_appends_and_restores_on_error() {
    let fib = support::message(
        "ligato.vpp.l2.FIBEntry",
        json!({"bridgeDomain": "bd1", "physAddress": "aa"}),
    );
    let mut key = String::from("config/vpp/l2/v2/fib/");
    NameTemplate::parse("{{.BridgeDomain}}/mac/{{.PhysAddress}}")
        .unwrap()
        .render_to(&fib, &mut key)
        .unwrap();
    assert_eq!(key, "config/vpp/l2/v2/fib/bd1/mac/aa");
    let mut key = String::from("prefix/");
    let bad = NameTemplate::parse("{{.BridgeDomain}}/{{.Nope}}").unwrap();
    assert!(bad.render_to(&fib, &mut key).is_err());
    assert_eq!(key, "prefix/");
}

// ===== printing and truth =====

#[test]
fn values_print_as_go_v() {
    let m = kinds(json!({
        "name": "n", "small": -5, "big": "-9000000000", "huge": "18446744073709551615",
        "ratio": 0.1, "precise": 1e6, "on": true, "color": "BLUE", "raw": "AQID",
        "tags": ["a", "b"], "colors": ["GREEN", "RED"], "counts": {"z": 1, "a": 2},
        "inner": {"label": "x", "weight": 3}, "inners": [{"label": "p"}]
    }));
    assert_eq!(
        render(
            "{{.Name}} {{.Small}} {{.Big}} {{.Huge}} {{.Ratio}} {{.Precise}} {{.On}} {{.Color}}",
            &m
        ),
        "n -5 -9000000000 18446744073709551615 0.1 1e+06 true BLUE"
    );
    // bytes and lists as Go prints slices; maps with sorted keys.
    assert_eq!(
        render("{{.Raw}} {{.Tags}} {{.Colors}} {{.Counts}}", &m),
        "[1 2 3] [a b] [GREEN RED] map[a:2 z:1]"
    );
    assert_eq!(render("{{.Inner.Label}}/{{.Inner.Weight}}", &m), "x/3");
    // Unset presence fields are nil pointers: printed <nil>, false in if. (A oneof member is
    // not a field of the Go struct, which has the oneof's interface instead; reading one by
    // name is ours: its value when set, else nil.)
    let unset = kinds(json!({}));
    assert_eq!(
        render(
            "{{.Maybe}}|{{.Text}}|{{if .Inner}}set{{else}}unset{{end}}",
            &unset
        ),
        "<nil>|<nil>|unset"
    );
    assert_eq!(
        render(
            "{{.Maybe}}|{{.Number}}|{{.Text}}",
            &kinds(json!({"maybe": "", "number": 0}))
        ),
        "|0|<nil>"
    );
}

#[test]
fn truth_is_go_truth() {
    let t = "{{if .Name}}N{{end}}{{if .Small}}S{{end}}{{if .Ratio}}R{{end}}{{if .On}}O{{end}}\
             {{if .Color}}C{{end}}{{if .Tags}}T{{end}}{{if .Counts}}M{{end}}{{if .Inner}}I{{end}}";
    assert_eq!(render(t, &kinds(json!({}))), "");
    let full = kinds(json!({
        "name": "n", "small": 1, "ratio": 0.5, "on": true, "color": "GREEN", "tags": ["t"],
        "counts": {"a": 0}, "inner": {}
    }));
    assert_eq!(render(t, &full), "NSROCTMI");
}

#[test]
fn with_sets_the_dot_and_dollar_is_the_data() {
    let m = kinds(json!({"name": "top", "inner": {"label": "in"}}));
    assert_eq!(
        render("{{with .Inner}}{{.Label}}@{{$.Name}}{{end}}", &m),
        "in@top"
    );
    assert_eq!(render("{{with .Name}}[{{.}}]{{end}}", &m), "[top]");
    assert_eq!(
        render("{{with .Tags}}x{{else with .Name}}{{.}}{{end}}", &m),
        "top"
    );
    assert_eq!(
        render(
            "{{if .Tags}}t{{else if .On}}o{{else if .Name}}n{{else}}none{{end}}",
            &m
        ),
        "n"
    );
}

#[test]
fn functions() {
    let m = kinds(
        json!({"name": "abc", "small": 3, "huge": "7", "color": "BLUE", "tags": ["a", "b"], "inner": {"weight": 3}}),
    );
    for (template, want) in [
        // and/or return a deciding argument, lazily: .Inner.Label would be fine, a nil
        // .Maybe's field would fail if evaluated.
        (
            "{{and .Name .Small}}|{{and .On .Maybe.X}}|{{or .On .Name}}|{{or .On 0}}",
            "3|false|abc|0",
        ),
        ("{{not .On}}|{{not .Name}}", "true|false"),
        (
            "{{eq .Small 3}}|{{eq .Small .Huge 3}}|{{eq .Name \"x\" \"abc\"}}|{{ne .Name \"abc\"}}",
            "true|true|true|false",
        ),
        (
            "{{eq .Color 2}}|{{lt .Small 4}}|{{le .Small 3}}|{{gt .Huge .Small}}|{{ge \"b\" .Name}}",
            "true|true|true|true|true",
        ),
        (
            "{{len .Name}}|{{len .Tags}}|{{eq (len .Tags) 2}}",
            "3|2|true",
        ),
        (
            "{{print .Small .Huge}}|{{print .Name .Small \"x\"}}|{{println .Name}}",
            "3 7|abc3x|abc\n",
        ),
        (
            r#"{{printf "%05d|%-4s|%q|%x|%v|%s" .Small .Name .Name .Small .Color .Color}}"#,
            "00003|abc |\"abc\"|3|BLUE|BLUE",
        ),
        (
            r#"{{printf "%d" .Color}}|{{printf "%.2f" 1.5}}|{{printf "%d%%" 50}}"#,
            "2|1.50|50%",
        ),
        (
            r#"{{.Name | printf "<%s>"}}|{{.Name | printf "%s-%s" "x"}}|{{.Small | eq 3}}"#,
            "<abc>|x-abc|true",
        ),
        (
            r#"{{(ipnet "10.1.2.3/16").IP}}|{{(ipnet "10.1.2.3/16").MaskSize}}|{{ipnet "alloc:x"}}"#,
            "10.1.0.0|16|map[]",
        ),
        (
            r#"{{ip "2001:DB8::1"}}|{{ip "nope"}}|{{protoip "::ffff:1.2.3.4"}}"#,
            "2001:db8::1|<invalid>|IPv4",
        ),
        (
            r#"{{ipnet "192.168.1.7/24"}}"#,
            "map[AllocRef: IP:192.168.1.0 MaskSize:24]",
        ),
        (
            "{{- .Name -}} \n {{- /* a comment */ -}} \t {{.Small}}",
            "abc3",
        ),
        (
            "{{ 'a' }}|{{ 0x1F }}|{{ 1e3 }}|{{ -2 }}|{{ \"q\" }}|{{ `r` }}|{{ true }}",
            "97|31|1000|-2|q|r|true",
        ),
    ] {
        assert_eq!(render(template, &m), want, "{template}");
    }
}

#[test]
fn field_names_go_proto_or_json() {
    let m = kinds(json!({"ip6_nd": "x", "l3_protocol": "y", "name": "n"}));
    assert_eq!(render("{{.Ip6Nd}}{{.ip6_nd}}{{.ip6Nd}}", &m), "xxx");
    assert_eq!(
        render("{{.L3Protocol}}{{.l3_protocol}}{{.l3Protocol}}", &m),
        "yyy"
    );
    assert!(matches!(
        render_err("{{.Ip6ND}}", &m),
        TemplateError::UnknownField { .. }
    ));
}

// ===== JSON data =====

#[test]
fn json_objects_render_like_messages() {
    let t = NameTemplate::parse(
        r#"{{with ipnet .DstNetwork}}{{printf "%s/%d" .IP .MaskSize}}{{else}}{{.DstNetwork}}{{end}}/{{.OutgoingInterface}}"#,
    )
    .unwrap();
    // proto names and JSON names as keys.
    assert_eq!(
        t.render(&json!({"dst_network": "192.168.1.0/24", "outgoing_interface": "memif1"}))
            .unwrap(),
        "192.168.1.0/24/memif1"
    );
    assert_eq!(
        t.render(&json!({"dstNetwork": "alloc:net1/memif2", "outgoingInterface": "memif1"}))
            .unwrap(),
        "alloc:net1/memif2/memif1"
    );
    // An absent key is an unknown field (proto3 JSON leaves defaults out).
    let err = t.render(&json!({"dstNetwork": "10.0.0.0/8"})).unwrap_err();
    assert!(
        matches!(err, TemplateError::UnknownField { ref field, .. } if field == "OutgoingInterface"),
        "{err:?}"
    );
    // Nested objects, numbers, null, field numbers (none in JSON).
    let v = json!({"inner": {"w": 2.5, "n": -1, "u": 18446744073709551615u64}, "none": null, "list": [1, "a"]});
    assert_eq!(
        render(
            "{{.Inner.W}} {{.Inner.N}} {{.Inner.U}} {{.None}} {{.List}} {{field . 1}}",
            &v
        ),
        "2.5 -1 18446744073709551615 <nil> [1 a] <invalid>"
    );
}

#[test]
fn fields_trait_reads_messages_directly() {
    let m = kinds(json!({"name": "n", "color": "GREEN"}));
    assert_eq!(m.field("Name"), Some(Datum::str("n")));
    assert_eq!(
        m.field("color"),
        Some(Datum::Enum {
            number: 1,
            name: Some("GREEN".into()),
        })
    );
    assert_eq!(m.field("Nope"), None);
    assert_eq!(m.field_by_number(2), Some(Datum::Int(0)));
    assert_eq!(m.field_by_number(13), Some(Datum::Nil));
    assert_eq!(m.field_by_number(100), None);
}
