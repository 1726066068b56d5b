"""Interface text of the participant pages, in English and Spanish (ours)."""

TEXTS = {
    "en": {
        "title": "Nurturing Connections questionnaires",
        "welcome": "Thank you for taking part. These questions ask how you and your baby have been. There are no "
                   "right or wrong answers. Your answers are saved on every page, so you can stop and come back "
                   "later with the same link, on any device.",
        "start": "Start", "continue": "Save and continue", "back": "Save and go back", "review": "Review answers",
        "page_of": "Page {page} of {pages}", "recall": "Thinking about {period}:",
        "skip_note": "You may leave a question blank if you prefer not to answer.",
        "review_title": "Check your answers", "review_intro": "You can change any page before you send.",
        "not_answered": "not answered", "edit": "Change", "submit": "Send my answers",
        "done_title": "Thank you", "done": "Your answers have been sent. You can close this page.",
        "support_continue": "Continue with the questions",
        "invalid_unknown": "This link is not valid. Please check that you copied the whole link, or ask your "
                           "program coordinator for a new one.",
        "invalid_expired": "This link has expired. Please ask your program coordinator for a new one.",
        "invalid_revoked": "This link is no longer active. Please ask your program coordinator for a new one.",
        "invalid_closed": "This questionnaire is closed. Thank you.",
        "throttled": "Too many attempts from this device. Please wait a few minutes and try again.",
        "language": "Español", "error_intro": "Please check the answer marked below.",
        "open_placeholder": "Write your answer here (optional)",
        "saved": "Answer saved.", "unsaved": "Not saved yet: your answers on this page are kept when you press the "
                                            "button below.",
        "support_self_harm_title": "You are not alone",
        "support_self_harm": "Thank you for telling us how you feel. Someone from our team will contact you soon. "
                             "If you might act on thoughts of harming yourself, or you feel unsafe right now, "
                             "please reach out now:",
        "support_infant_safety_title": "Help is here for you and your baby",
        "support_infant_safety": "Thank you for your honest answers. Caring for a baby can feel overwhelming, and "
                                 "many mothers have moments like this. Someone from our team will contact you "
                                 "soon. If you feel you might hurt your baby, or your baby is in danger right now, "
                                 "put your baby somewhere safe, such as the crib, and call for help now:",
        "support_distress_title": "We are here for you",
        "support_distress": "Your answers tell us this has been a hard time. Someone from our team will contact "
                            "you to see how you are. If you would like to talk with someone sooner:",
        "group_emergency": "In danger right now", "group_crisis": "Crisis line, any time",
        "group_maternal": "Support for mothers, any time (not a crisis line)",
        "group_support": "Support line (not a crisis line)",
        "call": "Call {number}", "text": "Text {number}", "text_word": "Text {word} to {number}",
    },
    "es": {
        "title": "Cuestionarios de Nurturing Connections",
        "welcome": "Gracias por participar. Estas preguntas tratan de cómo han estado usted y su bebé. No hay "
                   "respuestas correctas ni incorrectas. Sus respuestas se guardan en cada página, así que puede "
                   "parar y volver más tarde con el mismo enlace, en cualquier dispositivo.",
        "start": "Comenzar", "continue": "Guardar y continuar", "back": "Guardar y volver",
        "review": "Revisar respuestas", "page_of": "Página {page} de {pages}", "recall": "Pensando en {period}:",
        "skip_note": "Puede dejar una pregunta en blanco si prefiere no responder.",
        "review_title": "Revise sus respuestas", "review_intro": "Puede cambiar cualquier página antes de enviar.",
        "not_answered": "sin responder", "edit": "Cambiar", "submit": "Enviar mis respuestas",
        "done_title": "Gracias", "done": "Sus respuestas se enviaron. Puede cerrar esta página.",
        "support_continue": "Continuar con las preguntas",
        "invalid_unknown": "Este enlace no es válido. Revise que copió el enlace completo o pida uno nuevo a la "
                           "coordinadora del programa.",
        "invalid_expired": "Este enlace venció. Pida uno nuevo a la coordinadora del programa.",
        "invalid_revoked": "Este enlace ya no está activo. Pida uno nuevo a la coordinadora del programa.",
        "invalid_closed": "Este cuestionario está cerrado. Gracias.",
        "throttled": "Demasiados intentos desde este dispositivo. Espere unos minutos e inténtelo de nuevo.",
        "language": "English", "error_intro": "Revise la respuesta marcada abajo.",
        "open_placeholder": "Escriba su respuesta aquí (opcional)",
        "saved": "Respuesta guardada.", "unsaved": "Aún no se guardó: sus respuestas de esta página se guardan al "
                                                   "pulsar el botón de abajo.",
        "support_self_harm_title": "No está sola",
        "support_self_harm": "Gracias por contarnos cómo se siente. Una persona de nuestro equipo se comunicará con "
                             "usted pronto. Si podría actuar según pensamientos de hacerse daño, o no se siente "
                             "segura ahora mismo, busque ayuda ahora:",
        "support_infant_safety_title": "Hay ayuda para usted y su bebé",
        "support_infant_safety": "Gracias por sus respuestas sinceras. Cuidar a un bebé puede ser abrumador, y "
                                 "muchas madres tienen momentos así. Una persona de nuestro equipo se comunicará "
                                 "con usted pronto. Si siente que podría lastimar a su bebé, o su bebé está en "
                                 "peligro ahora mismo, deje a su bebé en un lugar seguro, como la cuna, y pida "
                                 "ayuda ahora:",
        "support_distress_title": "Estamos aquí para usted",
        "support_distress": "Sus respuestas nos dicen que ha sido un tiempo difícil. Una persona de nuestro equipo "
                            "se comunicará con usted para saber cómo está. Si quiere hablar con alguien antes:",
        "group_emergency": "En peligro ahora mismo", "group_crisis": "Línea de crisis, a cualquier hora",
        "group_maternal": "Apoyo para madres, a cualquier hora (no es una línea de crisis)",
        "group_support": "Línea de apoyo (no es una línea de crisis)",
        "call": "Llamar al {number}", "text": "Enviar texto al {number}",
        "text_word": "Enviar {word} por texto al {number}",
    },
}


def texts(language: str) -> dict[str, str]:
    return TEXTS.get(language, TEXTS["en"])
