"""Romanised Hindi as Indian students text it, mapped to the English of college documents.

The knowledge base is in English and the embedding model knows English; "library kab band hoti hai"
should reach "library hours". Each word maps to its English meaning, or to nothing when it only
carries grammar ("hai", "ka", "toh"). Words that are also common English words ("do", "me",
"band", "par", "to") are left out on purpose. Written as a general lexicon of student Hinglish,
not from the evaluation questions; bench/RESULTS.md reports its effect on the held-out split.
"""

from __future__ import annotations

_GLOSSES = """
kab=when kitna=how_much kitni=how_much kitne=how_many kahan=where kaha=where kidhar=where
kya=what kaise=how kese=how kaisa=how kaun=who kon=who kyu=why kyun=why kyon=why
konsa=which kaunsa=which konsi=which kaunsi=which nahi=not nhi=not nai=not mat=not
milega=get milegi=get milenge=get milta=get milti=get milte=get mile=get mila=got
lena=take lene=take liya=took dena=give dene=give diya=gave jama=submit bharna=pay bhari=paid
bharni=pay bhar=pay chahiye=need zarurat=need sakte=can sakta=can sakti=can skte=can
lagega=cost lagegi=cost lagta=cost lagti=cost lagenge=cost padega=must padegi=must padta=must
jana=go jaana=go jaye=go aana=come aaya=came aayi=came aate=come aata=come rehna=stay rehta=stay
rehti=stay rehte=stay kho=lost khoya=lost khoyi=lost bhool=forgot bhul=forgot pakda=caught
pakde=caught pakdi=caught chalega=allowed chalegi=allowed khula=open khuli=open khulta=open
khulti=open batao=tell bataye=tell bata=tell bataiye=tell puchna=ask dekhna=see likhna=write
padhna=study padhai=study chutti=holiday chhutti=holiday chhod=leave chod=leave khali=vacate
badalna=change badal=change shuru=start khatam=end bandh=closed
paisa=money paise=money shulk=fee kitab=book kitaben=books pariksha=exam naukri=job kamra=room
khana=food din=day raat=night subah=morning shaam=evening saal=year mahina=month mahine=months
hafta=week ghar=home ladki=girl ladkiyan=girls ladkiyon=girls ladka=boy ladke=boys dost=friend
jagah=place samay=time niyam=rules daru=alcohol sharab=alcohol gaadi=vehicle gadi=vehicle
bimar=sick beemar=sick dawai=medicine dawa=medicine madad=help shikayat=complaint wapas=refund
vapas=refund pehle=before baad=after aaj=today abhi=now jaldi=early der=late sirf=only
zyada=more jyada=more kam=less pura=full poora=full aadha=half naya=new nayi=new purana=old
accha=good acha=good bura=bad galat=wrong sahi=right theek=fine pyq=previous_year_question_papers
hod=head_of_department ptm=parent_teacher_meeting
aap= aapka= ab= agar= aur= bhai= bhi= ek= gaya= gayi= hai= hain= hoga= hogi= hona= hota= hoti=
hu= hua= hui= hum= hun= iska= iske= ja= jab= jo= ka= kar= karna= karne= karo= kee= ke= ki= kis=
kisi= ko= koi= kuch= lekin= liye= mai= main= mein= mera= meri= mere= mujhe= na= pe= raha= rahe=
rahi= sab= se= sir= tab= tak= tha= thi= toh= tum= uska= uski= uske= wala= wale= wali= wo= woh=
ya= ye= yeh= ji= yaar= bro=
"""

# "word=meaning" pairs; an underscore stands for a space in the meaning.
GLOSSES: dict[str, str] = {
    word: meaning.replace("_", " ")
    for word, meaning in (pair.split("=", 1) for pair in _GLOSSES.split())
}
