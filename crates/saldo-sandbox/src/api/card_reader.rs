//! The card-reader bank (connector 107): it asks for the client number
//! (MORE_INFO), then for the response code to a challenge (PASSWORD).

use saldo_gateway::{AccessResponse, ResultStatus};

use super::access::{activate, fail};
use super::{access_response, flow_context};
use crate::banks::Connector;
use crate::error::ApiError;
use crate::state::{Consent, State, Step};

/// Wrong answers a card-reader bank accepts at one step before it ends the flow.
const CARD_READER_TRIES: u32 = 3;

/// What a card-reader bank asks first (MORE_INFO). The gateway's `dataString`
/// carries the bank's question; the answer goes back in the PUT's `dataString`.
pub const CLIENT_NUMBER_PROMPT: &str = "Enter your client number (the 10 digits on your bank card).";

/// What a card-reader bank asks second (PASSWORD): the response code to a challenge.
pub fn response_code_prompt(challenge: &str) -> String {
    format!(
        "Put your bank card in your card reader, press IDENTIFY, type the challenge {challenge} \
and enter the 8-digit response code it shows. (Sandbox card reader: the response is the challenge's digits in reverse order.)"
    )
}

/// A fresh 8-digit challenge, grouped like a card reader shows it ("4821 3310").
fn new_challenge() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 100_000_000;
    let d = format!("{n:08}");
    format!("{} {}", &d[..4], &d[4..])
}

/// The sandbox card reader: the challenge's digits in reverse order.
pub fn card_reader_response(challenge: &str) -> String {
    challenge.chars().filter(char::is_ascii_digit).rev().collect()
}

/// The answer to the bank's current question (client number, then response
/// code): the next question, the end of the flow, or the question again after
/// a wrong answer (at most [`CARD_READER_TRIES`] of them).
pub(super) fn answer(
    st: &mut State,
    c: &Connector,
    flow_id: &str,
    consent: &Consent,
    data: &str,
) -> Result<AccessResponse, ApiError> {
    let answer: String = data.chars().filter(|ch| !ch.is_whitespace() && *ch != '.').collect();
    let f = st.flows.get_mut(flow_id).ok_or_else(|| ApiError::bad_request("UnknownFlowException", "gone"))?;
    let right = match f.step {
        Step::ClientNumber => answer.len() == 10 && answer.chars().all(|ch| ch.is_ascii_digit()),
        _ => f.challenge.as_deref().is_some_and(|ch| card_reader_response(ch) == answer),
    };
    let resp = if right && f.step == Step::ClientNumber {
        let challenge = new_challenge();
        f.step = Step::ResponseCode;
        f.challenge = Some(challenge.clone());
        f.wrong_answers = 0;
        let f = f.clone();
        access_response(
            ResultStatus::Password,
            Some(response_code_prompt(&challenge)),
            Some(flow_context(&f, consent, None)),
            None,
        )
    } else if right {
        let ctx = activate(st, c, flow_id);
        access_response(ResultStatus::Done, None, None, Some(ctx))
    } else {
        f.wrong_answers += 1;
        let (status, again) = match f.step {
            Step::ClientNumber => {
                (ResultStatus::MoreInfo, format!("That is not a 10-digit client number. {CLIENT_NUMBER_PROMPT}"))
            }
            _ => (
                ResultStatus::Password,
                format!(
                    "That response code is not right. {}",
                    response_code_prompt(f.challenge.as_deref().unwrap_or_default())
                ),
            ),
        };
        if f.wrong_answers >= CARD_READER_TRIES {
            let msg = format!("{} ended this sign-in after {CARD_READER_TRIES} wrong answers.", c.name);
            fail(st, flow_id, &msg)
        } else {
            let f = f.clone();
            access_response(status, Some(again), Some(flow_context(&f, consent, None)), None)
        }
    };
    Ok(resp)
}
