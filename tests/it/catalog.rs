//! A task's model and reasoning effort are held to Codex's own model catalog (the real CLI's
//! `model/list`), read once per Codex binary; a profile reaches app-server as thread settings.

use serde_json::{Value, json};

use crate::support::*;

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// Codex configured with OpenAI's own models (no provider of its own): the catalog applies.
fn openai_models(fx: &Fixture) {
    std::fs::write(fx.codex_home.join("config.toml"), "").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn efforts_and_models_are_held_to_codexs_catalog() {
    let fx = Fixture::new().await;
    openai_models(&fx);
    let client = fx.client().await;
    let refused = [
        (
            json!({"reasoning_effort": "minimal"}),
            "reasoning_effort",
            "ultra",
        ),
        (
            json!({"model": "gpt-5.5", "reasoning_effort": "max"}),
            "reasoning_effort",
            "model `gpt-5.5`",
        ),
        (
            json!({"model": "gpt-6-luna", "reasoning_effort": "ultra"}),
            "reasoning_effort",
            "low, medium, high, xhigh, max",
        ),
        (json!({"model": "gpt-nope-1"}), "model", "gpt-6.1-sol"),
    ];
    for (extra, param, offered) in refused {
        let args = with(task("x", &fx.work, "ask-effort-v1"), extra.clone());
        let r = call(&client, "codex_dispatch", args).await;
        assert!(is_error(&r), "{extra} was taken");
        let text = error_text(&r);
        assert!(
            text.contains(&format!("invalid `{param}`")) && text.contains(offered),
            "{extra}: {text}"
        );
        assert!(
            !fx.task_dir("codex-ask-effort-v1").exists(),
            "a refused task left a folder"
        );
    }
    // Taken: a hidden model by name, an effort the model offers.
    for (n, extra) in [
        json!({"model": "codex-auto-review"}),
        json!({"model": "gpt-6-luna", "reasoning_effort": "max"}),
    ]
    .into_iter()
    .enumerate()
    {
        let args = with(
            task("x", &fx.work, &format!("ask-taken{n}-v1")),
            extra.clone(),
        );
        let r = call(&client, "codex_dispatch", args).await;
        assert!(!is_error(&r), "{extra}: {}", error_text(&r));
        let id = body(&r)["task_id"].as_str().unwrap().to_string();
        call(&client, "codex_cancel", json!({"task_id": id})).await;
    }
    // The catalog was asked once, and kept per Codex binary.
    let kept: Vec<_> = std::fs::read_dir(fx.store_home.join("codex"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let facts: Value = serde_json::from_slice(&std::fs::read(kept[0].path()).unwrap()).unwrap();
    assert!(
        facts["catalog"]["models"].as_array().unwrap().len() > 3,
        "{facts}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_of_your_own_keeps_its_model_names_and_the_efforts_codex_honours() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    // Codex runs a model outside its catalog with low … max as given.
    let v = call_body(
        &client,
        "codex",
        with(
            task("@answer mine", &fx.work, "ask-own-v1"),
            json!({"model": "my-local-model", "reasoning_effort": "max"}),
        ),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(fx.model.requests()[0]["model"], "my-local-model");
    assert_eq!(fx.model.requests()[0]["reasoning"]["effort"], "max");
    // It would run an `ultra` quietly as `medium`: refused instead, with what it takes.
    let r = call(
        &client,
        "codex",
        with(
            task("@answer mine", &fx.work, "ask-own-v2"),
            json!({"model": "my-local-model", "reasoning_effort": "ultra"}),
        ),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        error_text(&r).contains("low, medium, high, xhigh, max"),
        "{}",
        error_text(&r)
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_keeps_a_task_on_app_server_unless_it_cannot_be_read() {
    let mut fx = Fixture::new().await;
    std::fs::write(
        fx.codex_home.join("quick.config.toml"),
        "model = \"profile-model\"\nmodel_reasoning_effort = \"low\"\n",
    )
    .unwrap();
    fx.extra_env
        .push(("CODEXMCP_ENGINE".into(), "app-server".into()));
    let client = fx.client().await;
    let mut asking = with(
        task("@answer profiled", &fx.work, "ask-profile-v1"),
        json!({"profile": "quick"}),
    );
    asking["approval_policy"] = json!("on-request");
    let v = call_body(&client, "codex", asking).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert!(
        v.get("warnings")
            .is_none_or(|w| !w.to_string().contains("codex exec")),
        "{v}"
    );
    let meta = read_meta(&fx, "codex-ask-profile-v1");
    assert_eq!(meta["engine"], "app-server", "{meta}");
    let seen = &fx.model.requests()[0];
    assert_eq!(seen["model"], "profile-model", "{seen}");
    assert_eq!(seen["reasoning"]["effort"], "low", "{seen}");
    // A profile that does not exist: on exec, with the reason; exec then says what is wrong.
    let v = call_body(
        &client,
        "codex",
        with(
            task("@answer x", &fx.work, "ask-noprofile-v1"),
            json!({"profile": "missing"}),
        ),
    )
    .await;
    let warned = v["warnings"].to_string();
    assert!(warned.contains("no profile `missing`"), "{v}");
    assert_eq!(read_meta(&fx, "codex-ask-noprofile-v1")["engine"], "exec");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_shows_the_catalog_and_checks_settings_as_a_task_would() {
    let mut fx = Fixture::new().await;
    openai_models(&fx);
    let checks = |out: &str| -> Value { serde_json::from_str(out).unwrap() };
    let find = |all: &Value, name: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} check: {all}"))
    };
    let (_, out, _) = fx.cli(&["doctor", "--json"]).await;
    let all = checks(&out);
    let models = find(&all, "models");
    assert_eq!(models["status"], "ok", "{models}");
    assert!(
        models["detail"]
            .as_str()
            .unwrap()
            .contains("default model `gpt-"),
        "{models}"
    );
    assert!(
        models["detail"].as_str().unwrap().contains("ultra"),
        "{models}"
    );
    let codex = find(&all, "codex");
    assert!(
        codex["detail"]
            .as_str()
            .unwrap()
            .contains("0.169.0 and 0.171.0"),
        "{codex}"
    );
    // Settings every task would refuse are said by doctor first.
    for (var, value, words) in [
        ("CODEXMCP_TASK_TIMEOUT", "0", "CODEXMCP_TASK_TIMEOUT"),
        ("CODEXMCP_REASONING_EFFORT", "minimal", "minimal"),
        ("CODEXMCP_MODEL", "gpt-nope-1", "gpt-nope-1"),
        ("CODEXMCP_PROFILE", "nowhere", "no profile `nowhere`"),
    ] {
        fx.extra_env.push((var.into(), value.into()));
        let (code, out, _) = fx.cli(&["doctor", "--json"]).await;
        let settings = find(&checks(&out), "settings");
        assert_eq!(settings["status"], "fail", "{var}: {settings}");
        assert!(
            settings["detail"].as_str().unwrap().contains(words),
            "{var}: {settings}"
        );
        assert_ne!(code, 0);
        fx.extra_env.retain(|(k, _)| k != var);
    }
}
