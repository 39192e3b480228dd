//! Reading a Gemini `generateContent` request into the neutral [`Prompt`]. Like Google's JSON
//! parser, field names are accepted in camelCase and snake_case.

use serde_json::Value;

use crate::json::{Object, as_text, field, opt_array, opt_object, opt_str, opt_u64};
use crate::reply::Prompt;

pub(crate) fn parse(body: &Object) -> Result<Prompt, String> {
    let contents = opt_array(body, &["contents"])?
        .filter(|c| !c.is_empty())
        .ok_or("* GenerateContentRequest.contents: contents is not specified")?;
    let mut prompt = Prompt::new();

    if let Some(system) = opt_object(body, &["systemInstruction", "system_instruction"])? {
        for part in opt_array(system, &["parts"])?.into_iter().flatten() {
            if let Some(text) = part.get("text").and_then(Value::as_str) {
                prompt.add_text(text);
            }
        }
    }

    let mut last = (true, None);
    for (i, content) in contents.iter().enumerate() {
        let content = content
            .as_object()
            .ok_or_else(|| format!("* GenerateContentRequest.contents[{i}]: must be an object"))?;
        // A missing role means "user", as in single-turn requests.
        let role = opt_str(content, &["role"])?.unwrap_or("user");
        let parts = opt_array(content, &["parts"])?
            .filter(|p| !p.is_empty())
            .ok_or_else(|| format!("* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."))?;
        let mut text = String::new();
        let mut has_text = false;
        let mut trailing_result = None;
        for part in parts {
            let Some(part) = part.as_object() else {
                return Err(format!(
                    "* GenerateContentRequest.contents[{i}].parts: must be objects"
                ));
            };
            trailing_result = None;
            if let Some(piece) = opt_str(part, &["text"])? {
                prompt.add_text(piece);
                text.push_str(piece);
                has_text = true;
            } else if let Some(response) =
                opt_object(part, &["functionResponse", "function_response"])?
            {
                let result = function_response_text(response.get("response"));
                prompt.add_text(&result);
                trailing_result = Some(result);
            }
        }
        if role == "user" && has_text {
            prompt.last_user_text = text;
        }
        last = (role != "model", trailing_result);
    }
    match last {
        (_, Some(result)) => prompt.tool_result = Some(result),
        (true, None) => prompt.ends_with_user = true,
        (false, None) => {}
    }

    prompt.tool = chosen_tool(body)?;
    if let Some(config) = opt_object(body, &["generationConfig", "generation_config"])? {
        prompt.max_tokens =
            opt_u64(config, &["maxOutputTokens", "max_output_tokens"])?.filter(|n| *n > 0);
        let candidates = opt_u64(config, &["candidateCount", "candidate_count"])?.unwrap_or(1);
        if !(1..=8).contains(&candidates) {
            return Err(format!(
                "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8, got {candidates}"
            ));
        }
        prompt.choices = candidates;
        let mime = opt_str(config, &["responseMimeType", "response_mime_type"])?;
        prompt.json_mode = mime == Some("application/json");
    }
    Ok(prompt)
}

/// A `functionResponse.response` as text: a lone `content` field (how gateways wrap plain-string
/// tool results) unwrapped, anything else as compact JSON.
pub(crate) fn function_response_text(response: Option<&Value>) -> String {
    match response {
        None | Some(Value::Null) => String::new(),
        Some(Value::Object(map)) if map.len() == 1 && map.contains_key("content") => {
            map.get("content").map(as_text).unwrap_or_default()
        }
        Some(other) => as_text(other),
    }
}

/// The first declared function, unless calling is `NONE`; `allowedFunctionNames` narrows it.
fn chosen_tool(body: &Object) -> Result<Option<String>, String> {
    let Some(tools) = opt_array(body, &["tools"])? else {
        return Ok(None);
    };
    let first = tools.iter().find_map(|tool| {
        let tool = tool.as_object()?;
        let declarations = field(tool, &["functionDeclarations", "function_declarations"])?;
        declarations
            .as_array()?
            .iter()
            .find_map(|d| d.get("name")?.as_str())
    });
    let Some(first) = first else {
        return Ok(None);
    };
    let config = opt_object(body, &["toolConfig", "tool_config"])?
        .map(|c| opt_object(c, &["functionCallingConfig", "function_calling_config"]))
        .transpose()?
        .flatten();
    let Some(config) = config else {
        return Ok(Some(first.to_owned()));
    };
    if opt_str(config, &["mode"])? == Some("NONE") {
        return Ok(None);
    }
    let allowed = opt_array(config, &["allowedFunctionNames", "allowed_function_names"])?
        .and_then(|names| names.first())
        .and_then(Value::as_str);
    Ok(Some(allowed.unwrap_or(first).to_owned()))
}
