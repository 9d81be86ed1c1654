//! A full-access task works in its own worktree, but `danger-full-access` has no jail: an
//! absolute path is enough to write into the person's own checkout. The engine notes the
//! checkout's state when the task starts and ends, and lists what changed.

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn changes_to_the_persons_checkout_are_listed_and_warned_about() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let checkout = fx.work.display().to_string();

    let clean = call_body(
        &client,
        "codex",
        full_task(
            "@shell echo mine > here.txt\n@answer ok",
            &fx.work,
            "implement-inside-v1",
        ),
    )
    .await;
    assert_eq!(clean["status"], "completed", "{clean}");
    assert_eq!(clean["checkout_changes"], json!([]), "{clean}");
    assert!(
        !clean["warnings"]
            .to_string()
            .contains("changed while the task ran")
    );

    let prompt = format!(
        "@shell echo escaped > '{checkout}/outside.txt' && echo more >> '{checkout}/README.md'\n@answer done"
    );
    let v = call_body(
        &client,
        "codex",
        full_task(&prompt, &fx.work, "implement-outside-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(
        v["checkout_changes"],
        json!(["README.md", "outside.txt"]),
        "{v}"
    );
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("changed while the task ran") && warnings.contains("outside.txt"),
        "{warnings}"
    );

    // The person at the terminal sees it too.
    let (code, shown, _) = fx.cli(&["show", "codex-implement-outside-v1"]).await;
    assert_eq!(code, 0);
    assert!(shown.contains("README.md, outside.txt"), "{shown}");
    client.cancel().await.unwrap();
}
