//! The mock "model": a flavour-neutral view of a chat request and the deterministic answer to it.
//! Each flavour module fills a [`Prompt`] from its own wire format and renders the [`Reply`] back
//! into it; the rules themselves are documented once, in the crate docs.

use serde_json::json;

use crate::tokens::{count_words, truncate_words};

/// Completion tokens a tool call is reported to cost, whatever its arguments.
pub(crate) const TOOL_CALL_TOKENS: u64 = 5;
/// Reasoning tokens reported when the prompt contains `REASON`.
pub(crate) const REASONING_TOKENS: u64 = 7;
pub(crate) const OPENAI_TOOL_CALL_ID: &str = "call_mock_1";
pub(crate) const ANTHROPIC_TOOL_USE_ID: &str = "toolu_mock_1";

/// What the mock needs to know about a chat request, whatever its dialect.
#[derive(Debug, Default)]
pub(crate) struct Prompt {
    words: u64,
    cached: bool,
    cache_write: bool,
    reason: bool,
    /// Text of the last user message (text parts concatenated).
    pub(crate) last_user_text: String,
    /// Set when the conversation ends with a tool result: its content as text.
    pub(crate) tool_result: Option<String>,
    /// Whether the conversation ends with a plain user message (not a tool result).
    pub(crate) ends_with_user: bool,
    /// The tool to call, when tools are declared and tool choice allows calling one.
    pub(crate) tool: Option<String>,
    pub(crate) max_tokens: Option<u64>,
    pub(crate) json_mode: bool,
    pub(crate) choices: u64,
}

impl Prompt {
    pub(crate) fn new() -> Self {
        Prompt {
            choices: 1,
            ..Prompt::default()
        }
    }

    /// Account for one piece of prompt text (system, message text, tool result).
    pub(crate) fn add_text(&mut self, text: &str) {
        self.words += count_words(text);
        self.cached |= text.contains("CACHED");
        self.cache_write |= text.contains("CACHE_WRITE");
        self.reason |= text.contains("REASON");
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Text(String),
    /// `arguments` is the JSON text `{"input":"<last user text>"}`.
    ToolCall {
        name: String,
        arguments: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    Stop,
    Length,
    ToolCalls,
}

/// Token counts in neutral terms; each flavour splits them into its own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Usage {
    /// Whole prompt, cached and cache-written parts included.
    pub(crate) prompt: u64,
    pub(crate) cached: u64,
    pub(crate) cache_write: u64,
    /// Visible output of one choice.
    pub(crate) output: u64,
    pub(crate) choices: u64,
    pub(crate) reasoning: u64,
}

impl Usage {
    /// OpenAI-style completion tokens: every choice's output plus reasoning.
    pub(crate) fn completion(&self) -> u64 {
        self.output * self.choices + self.reasoning
    }

    pub(crate) fn total(&self) -> u64 {
        self.prompt + self.completion()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) answer: Answer,
    pub(crate) finish: Finish,
    pub(crate) usage: Usage,
}

/// The deterministic answer to a prompt.
pub(crate) fn reply(prompt: &Prompt) -> Reply {
    let prompt_tokens = prompt.words.max(1);
    let usage = |output| Usage {
        prompt: prompt_tokens,
        cached: if prompt.cached { prompt_tokens / 2 } else { 0 },
        cache_write: if prompt.cache_write {
            prompt_tokens / 2
        } else {
            0
        },
        output,
        choices: prompt.choices,
        reasoning: if prompt.reason { REASONING_TOKENS } else { 0 },
    };

    if let (Some(name), true) = (&prompt.tool, prompt.ends_with_user) {
        let arguments = json!({ "input": prompt.last_user_text }).to_string();
        return Reply {
            answer: Answer::ToolCall {
                name: name.clone(),
                arguments,
            },
            finish: Finish::ToolCalls,
            usage: usage(TOOL_CALL_TOKENS),
        };
    }

    let full = if prompt.json_mode {
        json!({ "echo": prompt.last_user_text }).to_string()
    } else if let Some(result) = &prompt.tool_result {
        format!("tool said: {result}")
    } else {
        format!("echo: {}", prompt.last_user_text)
    };
    let (text, cut) = match prompt.max_tokens {
        Some(max) => truncate_words(&full, max),
        None => (full.as_str(), false),
    };
    Reply {
        answer: Answer::Text(text.to_owned()),
        finish: if cut { Finish::Length } else { Finish::Stop },
        usage: usage(count_words(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(texts: &[&str], last_user: &str) -> Prompt {
        let mut p = Prompt::new();
        for t in texts {
            p.add_text(t);
        }
        p.last_user_text = last_user.to_owned();
        p.ends_with_user = true;
        p
    }

    #[test]
    fn echoes_last_user_text() {
        let r = reply(&prompt(&["Be brief.", "hello there"], "hello there"));
        assert_eq!(r.answer, Answer::Text("echo: hello there".into()));
        assert_eq!(r.finish, Finish::Stop);
        assert_eq!((r.usage.prompt, r.usage.completion()), (4, 3));
    }

    #[test]
    fn truncates_and_reports_length() {
        let mut p = prompt(&["a b c d"], "a b c d");
        p.max_tokens = Some(2);
        let r = reply(&p);
        assert_eq!(r.answer, Answer::Text("echo: a".into()));
        assert_eq!(r.finish, Finish::Length);
        assert_eq!(r.usage.output, 2);
    }

    #[test]
    fn tool_call_when_tools_and_user_last() {
        let mut p = prompt(&["weather in Oslo"], "weather in Oslo");
        p.tool = Some("get_weather".into());
        let r = reply(&p);
        assert_eq!(
            r.answer,
            Answer::ToolCall {
                name: "get_weather".into(),
                arguments: r#"{"input":"weather in Oslo"}"#.into()
            }
        );
        assert_eq!(r.usage.output, TOOL_CALL_TOKENS);
    }

    #[test]
    fn tool_result_is_quoted() {
        let mut p = prompt(&["q", "{\"temp_c\":3}"], "q");
        p.ends_with_user = false;
        p.tool = Some("get_weather".into());
        p.tool_result = Some("{\"temp_c\":3}".into());
        let r = reply(&p);
        assert_eq!(r.answer, Answer::Text("tool said: {\"temp_c\":3}".into()));
    }

    #[test]
    fn cached_and_reasoning_counts() {
        let mut p = prompt(&["CACHED REASON one two five six"], "x");
        p.choices = 2;
        let r = reply(&p);
        assert_eq!(r.usage.prompt, 6);
        assert_eq!(r.usage.cached, 3);
        assert_eq!(r.usage.reasoning, REASONING_TOKENS);
        assert_eq!(r.usage.completion(), 2 * 2 + REASONING_TOKENS);
    }
}
