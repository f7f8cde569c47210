"""The framework's own English, in French: Streamlit and plotly write some texts in the browser
(« No results », « Press Enter to submit form », « Download as CSV », the file uploader's
« Drag and drop file here », a date picker's months…) and offer no setting for them.

The page shell (ui/web.py) carries a small script that watches the page and replaces exactly
these texts, and the same words in placeholders, aria-labels and tooltips (screen readers read
French too). It never touches the plan's text: Markdown, tables, slides and text elements are
left alone, and only whole texts that match are replaced."""

from __future__ import annotations

import json

# A whole text (trimmed) -> its French, in text nodes and in attributes.
TEXTS = {
    "Skip to main content": "Aller au contenu principal",
    "Press Enter to submit form": "Entrée pour valider le formulaire",
    "Press Enter to apply": "Entrée pour appliquer",
    "Press ⌘+Enter to apply": "⌘+Entrée pour appliquer",
    "Press Ctrl+Enter to apply": "Ctrl+Entrée pour appliquer",
    "No results": "Aucun résultat",
    "Choose an option": "Choisissez une option",
    "Choose options": "Choisissez",
    "Select...": "Choisissez…",
    "Drag and drop file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Browse files": "Parcourir",
    "Upload": "Parcourir",
    "Running...": "Calcul en cours…",
    "Date range": "Période",
    "Single date": "Date unique",
    "Today": "Aujourd'hui",
    "Connecting": "Connexion…",
    "Please wait...": "Un instant…",
    "Clear all": "Tout effacer",
    "Select all": "Tout sélectionner",
    "Error:": "Erreur :",  # before an uploader's refusal, for screen readers
    # a table's column menu
    "Sort ascending": "Tri croissant",
    "Sort descending": "Tri décroissant",
    "Pin column": "Épingler la colonne",
    "Unpin column": "Détacher la colonne",
    "Hide column": "Masquer la colonne",
    "Autosize": "Largeur automatique",
    "Automatic": "Automatique",
    "Localized": "Selon la langue",
    "Percent": "Pourcentage",
    "Scientific": "Scientifique",
    "Accounting": "Comptabilité",
    "Relative": "Relatif",
    "Show password": "Afficher le mot de passe",
    "Hide password": "Masquer le mot de passe",
}

# Words that are only ever the framework's in an attribute (a label read aloud, a tooltip).
ATTRIBUTES = {
    "Sidebar": "Panneau latéral",
    "Collapse sidebar": "Replier le panneau latéral",
    "Expand sidebar": "Déplier le panneau latéral",
    "Open": "Ouvrir",
    "Close": "Fermer",
    "Clear value": "Effacer",
    "Clear all": "Tout effacer",
    "Error:": "Erreur :",  # before an uploader's refusal, for screen readers
    "Selected.": "Sélectionné.",
    "Main menu": "Menu principal",
    "Link to heading": "Lien vers ce titre",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Add row": "Ajouter une ligne",
    "Delete row(s)": "Supprimer la sélection",
    "Choose date": "Choisir une date",
    "Choose date range": "Choisir une période",
    "file upload": "envoi d'un fichier",
    "Remove file": "Retirer le fichier",
    "Increment": "Augmenter",
    "Decrement": "Diminuer",
    "Previous month.": "Mois précédent.",
    "Next month.": "Mois suivant.",
    "Previous month": "Mois précédent",
    "Next month": "Mois suivant",
    "Select month": "Choisir le mois",
    "Select year": "Choisir l'année",
    # plotly's mode bar
    "Download plot as a PNG": "Télécharger le graphique (PNG)",
    "Download plot as a png": "Télécharger le graphique (PNG)",
    "Zoom": "Zoom",
    "Pan": "Déplacer",
    "Box Select": "Sélection rectangulaire",
    "Lasso Select": "Sélection au lasso",
    "Zoom in": "Agrandir",
    "Zoom out": "Réduire",
    "Autoscale": "Échelle automatique",
    "Reset axes": "Réinitialiser les axes",
    "Reset view": "Réinitialiser la vue",
    "Toggle Spike Lines": "Lignes de repère",
    "Show closest data on hover": "Valeur la plus proche au survol",
    "Compare data on hover": "Comparer les valeurs au survol",
}

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"]
WEEKDAYS = {"Su": "di", "Mo": "lu", "Tu": "ma", "We": "me", "Th": "je", "Fr": "ve", "Sa": "sa"}

# Where the texts above are never the plan's: everything else of the page, minus these.
USER_TEXT = ("[data-testid='stMarkdownContainer'], [data-testid='stText'], [data-testid='stCode'], "
             "[data-testid='stTable'], .pst-slide, [data-testid='stHeading']")

SCRIPT = """
(() => {
  const T = new Map(Object.entries(%(texts)s)), A = new Map(Object.entries(%(attributes)s));
  const M = %(months)s, EM = %(english_months)s, W = %(weekdays)s;
  const USER = %(user)s, ATTRS = ["placeholder", "aria-label", "aria-valuetext", "aria-roledescription", "title", "data-title"];
  const month = m => M[EM.indexOf(m)];
  const size = (n, u) => n.replace(".", ",") + "\\u00a0" + ({B: "o", KB: "Ko", MB: "Mo", GB: "Go"}[u]);
  const patterns = [
    [/^Limit (\\d+)\\s?MB per file(?: \\u2022 (.*))?$/, (_, n, t) => "Maximum " + n + "\\u00a0Mo par fichier" + (t ? " \\u2022 " + t : "")],
    [/^(\\d+)\\s?MB per file(?: \\u2022 (.*))?$/, (_, n, t) => n + "\\u00a0Mo par fichier" + (t ? " \\u2022 " + t : "")],
    // the uploader's refusals (a file over the server's maxUploadSize, or of another type)
    [/^File must be (\\d+(?:\\.\\d+)?)\\s?(B|KB|MB|GB) or smaller\\.$/,
      (_, n, u) => "Fichier trop volumineux : " + size(n, u) + " au plus (un plan réel fait quelques centaines de Ko)."],
    [/^(.*) files are not allowed\\.$/, (_, t) => "Fichiers de type « " + t + " » refusés ici."],
    [/^(\\d+(?:\\.\\d+)?)\\s?(B|KB|MB|GB)$/, (_, n, u) => size(n, u)],
    [/^(.*), (\\d+(?:\\.\\d+)?)\\s?(B|KB|MB|GB)$/, (_, f, n, u) => f + ", " + size(n, u)],  // an uploaded file
    [/^Selected [Dd]ate: (\\w+) (\\d{1,2}), (\\d{4})$/, (_, m, d, y) => "Date choisie : " + d.padStart(2, "0") + "/" +
      String(EM.indexOf(m) + 1).padStart(2, "0") + "/" + y],
    [/^(January|February|March|April|May|June|July|August|September|October|November|December) (\\d{4})$/,
      (_, m, y) => month(m) + " " + y],
    [/^(January|February|March|April|May|June|July|August|September|October|November|December)$/, (_, m) => month(m)],
    [/^(\\d{1,2}) \\u2013 (January|February|March|April|May|June|July|August|September|October|November|December)$/,
      (_, d, m) => d + " \\u2013 " + month(m)],
    [/^(January|February|March|April|May|June|July|August|September|October|November|December) (\\d{1,2}), (\\d{4})$/,
      (_, m, d, y) => d + " " + month(m) + " " + y],
    // a date field's parts, read aloud: "day, Période start date"
    [/^day, (.*)$/, (_, r) => "jour, " + r], [/^month, (.*)$/, (_, r) => "mois, " + r], [/^year, (.*)$/, (_, r) => "année, " + r],
    [/^(.*) start date$/, (_, r) => r + ", date de début"], [/^(.*) end date$/, (_, r) => r + ", date de fin"],
    [/^(.*), Selected$/, (_, r) => r + ", sélectionné"], [/^Today, (.*)$/, (_, r) => "Aujourd'hui, " + r],
    // a multiselect's bulk choice, and a help icon's name read aloud
    [/^Select (\\d+) matches$/, (_, n) => "Sélectionner les " + n + " résultats"],
    [/^Help for (.+)$/, (_, r) => "Aide : " + r], [/^Help$/, () => "Aide"],
  ];
  const french = (text, attribute) => {
    const t = text.trim();
    if (!t) return null;
    let f = T.get(t);
    if (f === undefined && attribute) f = A.get(t);
    if (f === undefined) {  // patterns apply one after the other ("day, X start date")
      let g = t;
      for (const [re, to] of patterns) if (re.test(g)) g = g.replace(re, to);
      if (g !== t) f = g;
    }
    return f === undefined || f === t ? null : text.replace(t, f);
  };
  const inCalendar = n => n.parentElement && n.parentElement.closest("[data-baseweb='calendar']");
  // A widget's own button (the uploader's « Upload ») is drawn as Markdown too: not the plan's text.
  const userText = el => el.closest(USER) && !el.closest("button, [data-testid='stFileUploaderDropzone']");
  const fixText = n => {
    if (!n.parentElement || userText(n.parentElement)) return;
    let f = french(n.nodeValue, false);
    if (f === null && inCalendar(n) && W[n.nodeValue.trim()]) f = W[n.nodeValue.trim()];
    if (f !== null) n.nodeValue = f;
  };
  const fixElement = el => {  // attributes (labels read aloud, tooltips) are never the plan's text
    if (el.closest(".pst-slide")) return;
    for (const a of ATTRS) { const v = el.getAttribute(a); if (v) { const f = french(v, true); if (f !== null) el.setAttribute(a, f); } }
  };
  const walk = root => {
    if (root.nodeType === 3) return fixText(root);
    if (root.nodeType !== 1) return;
    fixElement(root);
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    while (w.nextNode()) { const n = w.currentNode; n.nodeType === 3 ? fixText(n) : fixElement(n); }
  };
  new MutationObserver(changes => { for (const c of changes) {
    if (c.type === "childList") c.addedNodes.forEach(walk);
    else if (c.type === "characterData") fixText(c.target);
    else fixElement(c.target);
  } }).observe(document.documentElement, {subtree: true, childList: true, characterData: true, attributes: true,
                                          attributeFilter: ATTRS});
  document.addEventListener("DOMContentLoaded", () => walk(document.body));
})();
"""


# Streamlit fades captions to 60 % opacity: grey text at 2.9:1 on white, below WCAG's 4.5:1.
# A darker grey at full opacity, the same everywhere.
STYLE = """<style>
[data-testid='stCaptionContainer'] {opacity: 1 !important;}
[data-testid='stCaptionContainer'], [data-testid='stCaptionContainer'] p, [data-testid='stCaptionContainer'] strong,
[data-testid='stWidgetLabel'] p, [data-testid='stMetricLabel'] p, small {color: #4a5260 !important;}
%(date_placeholders)s
</style>"""

# An empty date field shows its segments' placeholders in the date library's locale, fixed to
# en-US (« dd/mm/yyyy »). Its text is not ours to rewrite (React owns it: a script doing so made
# the page loop), so the French is drawn over it: the English made see-through, the French in
# its place, in the same colour; focus and typing are untouched.
DATE_PLACEHOLDERS = {"day": "jj", "month": "mm", "year": "aaaa"}
_SEGMENT = "[data-testid='stDateInputFieldsScroller'] [data-placeholder][data-type='%s']"
DATE_PLACEHOLDER_STYLE = "\n".join(
    f"{_SEGMENT % kind} {{position: relative; -webkit-text-fill-color: transparent;}}\n"
    f"{_SEGMENT % kind}::after {{content: '{french}'; position: absolute; left: 0; right: 0; top: 0; text-align: center; "
    "-webkit-text-fill-color: currentcolor;}"
    for kind, french in DATE_PLACEHOLDERS.items() if french != "mm")


def script() -> str:
    """The <style> and <script> the page shell carries (no user data in them: our tables only)."""
    body = SCRIPT % {
        "texts": json.dumps(TEXTS, ensure_ascii=False), "attributes": json.dumps(ATTRIBUTES, ensure_ascii=False),
        "months": json.dumps(MONTHS, ensure_ascii=False), "english_months": json.dumps(ENGLISH_MONTHS),
        "weekdays": json.dumps(WEEKDAYS), "user": json.dumps(USER_TEXT),
    }
    return f"{STYLE % {'date_placeholders': DATE_PLACEHOLDER_STYLE}}<script>{body}</script>"
