/* The address search box (residents/_search_box.html) as a WAI-ARIA combobox with a listbox popup
   (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/): suggestions from this site's own API as the
   resident types, chosen with the arrow keys and opened with Enter or a click. Without this script the box
   is a plain GET form to the results page, and Enter without a chosen suggestion still submits it.

   Keys in the text box: ArrowDown / ArrowUp open the list and move through it (wrapping), Alt+ArrowDown
   opens it without choosing, Enter opens the chosen suggestion, Escape closes the list (and, when it is
   closed, clears the text), Tab leaves. A polite live region says how many suggestions there are.

   "Use my location": the browser's position goes to this site only (a POST, so it appears in no URL or
   access log) and comes back as the nearest addresses. Every text comes from data-* attributes (translated
   by the template); data from the server is only ever set as textContent. */

const DEBOUNCE_MS = 180;
const MIN_LENGTH = 2;

function initSearchBox(form) {
  const input = form.querySelector("input[role=combobox]");
  const listbox = document.getElementById(input.getAttribute("aria-controls"));
  const status = form.querySelector("[role=status]");
  const note = form.querySelector(".search-note");
  const texts = form.dataset;
  let options = [];
  let active = -1;
  let timer = null;
  let controller = null;
  let latest = 0;
  let lastQuery = null;

  function announce(text) {
    // Cleared first, so that the same sentence twice in a row is announced twice.
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = text;
    }, 50);
  }

  function showNote(text) {
    note.textContent = text;
    note.hidden = !text;
  }

  function isOpen() {
    return input.getAttribute("aria-expanded") === "true";
  }

  function open() {
    if (!options.length) {
      return;
    }
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    highlight(-1);
  }

  function highlight(index) {
    if (active >= 0 && options[active]) {
      options[active].element.setAttribute("aria-selected", "false");
      options[active].element.classList.remove("is-active");
    }
    active = index;
    if (index < 0 || !options[index]) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    const element = options[index].element;
    element.setAttribute("aria-selected", "true");
    element.classList.add("is-active");
    input.setAttribute("aria-activedescendant", element.id);
    element.scrollIntoView({ block: "nearest" });
  }

  function choose(index) {
    const option = options[index];
    if (option) {
      close();
      window.location.assign(option.url);
    }
  }

  function render(data) {
    listbox.textContent = "";
    options = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    (data.suggestions || []).forEach((suggestion, index) => {
      const item = document.createElement("li");
      item.id = `${listbox.id}-${index}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.className = `search-option search-option-${suggestion.kind === "address" ? "address" : "street"}`;
      const label = document.createElement("span");
      label.className = "search-option-label";
      label.textContent = suggestion.label;
      item.appendChild(label);
      if (suggestion.detail) {
        const detail = document.createElement("span");
        detail.className = "search-option-detail";
        detail.textContent = suggestion.detail;
        item.appendChild(detail);
      }
      // pointerdown keeps the focus in the text box; the click then opens the page.
      item.addEventListener("pointerdown", (event) => event.preventDefault());
      item.addEventListener("click", () => choose(index));
      item.addEventListener("pointermove", () => {
        if (active !== index) {
          highlight(index);
        }
      });
      listbox.appendChild(item);
      options.push({ element: item, url: suggestion.url });
    });
    const count = options.length;
    if (!data.match) {
      showNote(count ? texts.textNearest : texts.textNone);
    } else {
      showNote("");
    }
    if (count) {
      open();
    } else {
      close();
    }
    const sentence = count === 1 ? texts.textOne : texts.textMany.replace("{count}", String(count));
    announce(data.match ? sentence : `${count ? texts.textNearest : texts.textNone} ${count ? sentence : ""}`.trim());
  }

  async function fetchSuggestions(text) {
    const serial = ++latest;
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    try {
      const url = `${texts.suggestUrl}?q=${encodeURIComponent(text)}`;
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (serial !== latest) {
        return;
      }
      if (!response.ok) {
        throw new Error(`status ${response.status}`);
      }
      render(await response.json());
    } catch (error) {
      if (error.name === "AbortError" || serial !== latest) {
        return;
      }
      options = [];
      listbox.textContent = "";
      close();
      showNote(texts.textError);
      announce(texts.textError);
    }
  }

  function scheduleFetch() {
    window.clearTimeout(timer);
    const text = input.value.trim();
    if (text === lastQuery) {
      return;
    }
    if (text.length < MIN_LENGTH) {
      lastQuery = text;
      latest += 1; // an answer still on its way is no longer wanted
      options = [];
      listbox.textContent = "";
      close();
      showNote("");
      return;
    }
    timer = window.setTimeout(() => {
      lastQuery = text;
      fetchSuggestions(text);
    }, DEBOUNCE_MS);
  }

  input.addEventListener("input", scheduleFetch);

  input.addEventListener("keydown", (event) => {
    const count = options.length;
    switch (event.key) {
      case "ArrowDown":
        if (!count) {
          return;
        }
        event.preventDefault();
        if (!isOpen()) {
          open();
          if (!event.altKey) {
            highlight(active >= 0 ? active : 0);
          }
        } else if (!event.altKey) {
          highlight((active + 1) % count);
        }
        break;
      case "ArrowUp":
        if (!count) {
          return;
        }
        event.preventDefault();
        if (!isOpen()) {
          open();
        }
        highlight(active <= 0 ? count - 1 : active - 1);
        break;
      case "Enter":
        if (isOpen() && active >= 0) {
          event.preventDefault();
          choose(active);
        }
        // Otherwise the form is submitted: the results page, as without JavaScript.
        break;
      case "Escape":
        if (isOpen()) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
          scheduleFetch();
        }
        break;
      case "Tab":
        close();
        break;
      default:
        break;
    }
  });

  input.addEventListener("blur", () => close());
  input.addEventListener("focus", () => {
    if (options.length && input.value.trim() === lastQuery) {
      open();
    }
  });
  // The browser's own "clear" button of a search field.
  input.addEventListener("search", scheduleFetch);
}

function initLocate(form) {
  if (!("geolocation" in navigator) || !window.fetch) {
    return;
  }
  const result = form.querySelector(".locate-result");
  const button = form.querySelector("button");
  const texts = form.dataset;
  form.hidden = false;

  function say(text) {
    result.textContent = "";
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    result.appendChild(paragraph);
  }

  function show(data) {
    if (!data.addresses || !data.addresses.length) {
      say(data.message || texts.textError);
      return;
    }
    say(texts.textFound);
    const list = document.createElement("ul");
    list.className = "result-list";
    data.addresses.forEach((address) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = address.url;
      link.textContent = address.label;
      item.appendChild(link);
      const detail = document.createElement("span");
      detail.className = "result-detail";
      detail.textContent = ` ${address.distance}`;
      item.appendChild(detail);
      list.appendChild(item);
    });
    result.appendChild(list);
  }

  async function send(position) {
    say(texts.textSearching);
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    body.append("lat", String(position.coords.latitude));
    body.append("lon", String(position.coords.longitude));
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (!response.ok) {
        say(data.error || texts.textError);
        return;
      }
      show(data);
    } catch (error) {
      say(texts.textError);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    button.disabled = true;
    say(texts.textAsking);
    navigator.geolocation.getCurrentPosition(send, (error) => {
      button.disabled = false;
      say(error.code === error.PERMISSION_DENIED ? texts.textDenied : texts.textUnavailable);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}

document.querySelectorAll("form[data-search-box]").forEach(initSearchBox);
document.querySelectorAll("form[data-locate]").forEach(initLocate);
