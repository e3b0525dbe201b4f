"""Messages sent through Twilio's REST API (the twilio client): the gateway's late answers and
the replies staff send from the dashboard's escalations page."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client


def _transient(error: BaseException) -> bool:
    if isinstance(error, TwilioRestException):
        return error.status == 429 or error.status >= 500
    return isinstance(error, aiohttp.ClientError | asyncio.TimeoutError)


class RestSender:
    """Sends WhatsApp messages through Twilio's Messages API, each retried on Twilio's 429/5xx
    and network errors."""

    def __init__(self, account_sid: str, auth_token: str, sender: str, api_base_url: str) -> None:
        self.http = AsyncTwilioHttpClient(timeout=10)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.client.api.base_url = api_base_url.rstrip("/")
        self.sender = sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}"

    async def _create(self, **fields: str) -> str:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(4),
            wait=wait_exponential(multiplier=0.2, max=3),
            reraise=True,
        ):
            with attempt:
                message = await self.client.messages.create_async(from_=self.sender, **fields)
        return message.sid or ""

    async def send(self, to: str, parts: list[str]) -> list[str]:
        """Free text, one message per part (inside WhatsApp's 24-hour window only); their SIDs."""
        return [await self._create(to=f"whatsapp:{to}", body=part) for part in parts]

    async def send_template(self, to: str, content_sid: str, variables: dict[str, str]) -> str:
        """An approved template (what WhatsApp allows outside the window); its SID."""
        return await self._create(
            to=f"whatsapp:{to}", content_sid=content_sid, content_variables=json.dumps(variables)
        )

    async def close(self) -> None:
        await self.http.close()
